package homelabcmd

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106's second recommendation, scaled to a small
// hub: 64 MiB, 3 passes, 2 lanes). They are stored with each hash, so they
// can change later without breaking old hashes.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// argonSlots bounds how many argon2id computations run at once: each takes
// argonMemory, so without a bound a burst of sign-in attempts (which need
// no credential) could take the hub's memory. The rest wait their turn.
var argonSlots = make(chan struct{}, 2)

func argonKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// HashPassword returns the argon2id hash of pw in the PHC string format:
// $argon2id$v=19$m=65536,t=3,p=2$salt$hash (base64 without padding).
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	key := argonKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// PasswordMatches checks pw against a hash made by HashPassword, comparing
// in constant time. A malformed hash never matches.
func PasswordMatches(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argonKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPasswordHash is checked against when a user name does not exist, so
// an unknown name costs the same time as a wrong password.
// It is made on first use, not at start (the agent never needs it).
var dummyPasswordHash = sync.OnceValue(func() string { return HashPassword("homelabcmd: no such user") })

// SpendPasswordCheck does the work of one password check and discards it.
func SpendPasswordCheck(pw string) { PasswordMatches(pw, dummyPasswordHash()) }
