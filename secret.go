package homelabcmd

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// Token prefixes, so a leaked secret says what it is.
const (
	PrefixAPIKey            = "hlh_key_"
	PrefixAgentToken        = "hlh_ag_"
	PrefixRegistrationToken = "hlh_rt_"
	PrefixSession           = "hlh_ws_"
	PrefixAPIToken          = "hlh_at_"
)

// NewSecret returns prefix followed by 64 hex characters (32 random bytes).
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return prefix + hex.EncodeToString(b)
}

// HashSecret is how every secret is stored: hex SHA-256. Secrets are random
// and long, so a fast hash is enough; only the hash ever reaches the database.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a presented secret with a stored hash in constant time.
func SecretMatches(secret, storedHash string) bool {
	got := HashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(storedHash)) == 1
}

// NewGUID returns a random lowercase UUID v4, the agent identity format.
func NewGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
