package homelabcmd

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Input that both engines store alike. SQLite keeps anything; PostgreSQL
// refuses NUL in text and integers past its column types, so one validation
// here (not an engine's error, which would be a 500) decides for both.

// MaxInt32 is the largest value of an INTEGER column on PostgreSQL.
const MaxInt32 = math.MaxInt32

// unsafeRune reports a character that must not be stored in names or text:
// C0 and C1 controls (NUL, ESC of ANSI sequences, newlines), DEL, the bidi
// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, which
// can make "gpj.exe" read as "exe.jpg") and invalid UTF-8.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// CheckText refuses (EINVALID naming field) text with a character
// unsafeRune rejects, or longer than max bytes (max 0: no length check).
func CheckText(field, s string, max int) error {
	if max > 0 && len(s) > max {
		return FieldError(field, "must be at most %d characters", max)
	}
	if !utf8.ValidString(s) {
		return FieldError(field, "must be valid UTF-8")
	}
	for _, r := range s {
		if unsafeRune(r) {
			return FieldError(field, "must not contain control characters (NUL, escape sequences, line breaks) or bidirectional overrides (found U+%04X)", r)
		}
	}
	return nil
}

// checkOptText is CheckText for an optional field.
func checkOptText(field string, s *string, max int) error {
	if s == nil {
		return nil
	}
	return CheckText(field, *s, max)
}

// SanitizeText replaces each character unsafeRune rejects with U+FFFD, for
// descriptive text an agent reports (one odd mount point must not cost a
// machine its heartbeats).
func SanitizeText(s string) string {
	clean := utf8.ValidString(s)
	if clean {
		for _, r := range s {
			if unsafeRune(r) {
				clean = false
				break
			}
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

func sanitizeOpt(s *string) {
	if s != nil {
		*s = SanitizeText(*s)
	}
}

// checkInt32 refuses an integer outside 0..MaxInt32 (the INTEGER columns).
func checkInt32(field string, v *int) error {
	if v != nil && (*v < 0 || *v > MaxInt32) {
		return FieldError(field, "must be between 0 and %d", MaxInt32)
	}
	return nil
}

func checkInt32From64(field string, v *int64) error {
	if v != nil && (*v < 0 || *v > MaxInt32) {
		return FieldError(field, "must be between 0 and %d", MaxInt32)
	}
	return nil
}
