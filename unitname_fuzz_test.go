package homelabcmd

import (
	"strings"
	"testing"
)

// FuzzValidateUnitName checks that ValidateUnitName never panics, refuses
// with a typed EINVALID error naming service_name, and accepts only names
// that systemd would accept and that are inert in a shell: 1-255 bytes of
// [A-Za-z0-9:_.\-\\@] (an '@' only after a non-empty name), with no shell
// metacharacter, '/', whitespace or control character. The full unit name
// (UnitName adds ".service") must fit systemd's 255-byte limit as well.
// Seeds live in testdata/fuzz/FuzzValidateUnitName.
func FuzzValidateUnitName(f *testing.F) {
	for _, s := range []string{"nginx", "docker.service", "getty@tty1.service", "systemd-fsck@dev-disk-by\\x2duuid-1234.service",
		"a:b_c.d-e", "", "@", ".service", "@x.service", "foo bar", "foo;rm -rf /", "$(id)", "foo/bar", "ünïcode", "a\x00b", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateUnitName(name)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ValidateUnitName(%q) = %v, want an EINVALID error", name, err)
			}
			if e := err.(*Error); e.Field != "service_name" || e.Message == "" {
				t.Fatalf("ValidateUnitName(%q) error %+v does not name service_name with a message", name, e)
			}
			return
		}
		if len(name) < 1 || len(name) > 255 {
			t.Fatalf("accepted %q of %d bytes", name, len(name))
		}
		if full := UnitName(name); len(full) > 255 {
			t.Fatalf("accepted %q but its unit name %q is %d bytes; systemd allows 255", name, full, len(full))
		}
		if strings.HasPrefix(name, "@") {
			t.Fatalf("accepted %q, which has no name before '@'", name)
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":_.-\\@", c) >= 0
			if !ok {
				t.Fatalf("accepted %q with byte %q outside systemd's unit-name characters", name, c)
			}
		}
		if i := strings.IndexAny(name, "|&;<>()$`\"' \t\n\r*?[]#~=%!{},/"); i >= 0 {
			t.Fatalf("accepted %q with shell metacharacter or separator %q", name, name[i])
		}
	})
}
