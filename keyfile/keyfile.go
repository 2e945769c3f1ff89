// Package keyfile seals secrets the hub must read back (SSH keys and
// passwords, the Tailscale API key) with AES-256-GCM under keys kept in a
// file outside the database, so a stolen database or backup alone reveals
// nothing.
//
// The file holds one base64 key per line ('#' starts a comment). The first
// key seals; every key opens, so rotation is: put a new key on the first
// line, restart, re-save (or let the hub re-seal) the secrets, then delete
// the old line. The file is created on first need with mode 0600, and a
// file that others may read is refused.
package keyfile

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Box seals and opens secrets.
type Box struct {
	keys []key
}

type key struct {
	id   string // first 8 hex digits of SHA-256(key): which key sealed
	aead cipher.AEAD
}

// prefix marks the format of a sealed value.
const prefix = "hk1."

// ErrOpen means a sealed value cannot be opened: tampered, moved to another
// row, or sealed with a key no longer in the file.
var ErrOpen = errors.New("keyfile: the secret cannot be decrypted (wrong key file, or the value was altered)")

// Load reads the key file at path, creating it (mode 0600, one new key)
// when it does not exist.
func Load(path string) (*Box, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := create(path); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyfile: %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	return Parse(data)
}

func create(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process created it first
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "# homelabcmd secrets key: keep it secret, back it up apart from the database.\n# The first key seals; all keys open (rotation: see docs/security.md).\n%s\n", NewKey())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// NewKey returns a fresh base64 key line.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Parse reads key lines.
func Parse(data []byte) (*Box, error) {
	b := &Box{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("keyfile: line %d is not a base64 32-byte key", n)
		}
		block, _ := aes.NewCipher(raw)
		aead, _ := cipher.NewGCM(block)
		sum := sha256.Sum256(raw)
		b.keys = append(b.keys, key{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	if len(b.keys) == 0 {
		return nil, errors.New("keyfile: no key in the file")
	}
	return b, nil
}

// Seal encrypts plain, bound to aad (what the value is and whose), so a
// sealed value copied to another row does not open there.
func (b *Box) Seal(plain []byte, aad string) string {
	k := b.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	ct := k.aead.Seal(nonce, nonce, plain, []byte(aad))
	return prefix + k.id + "." + base64.RawURLEncoding.EncodeToString(ct)
}

// Open decrypts a value Seal made with the same aad. ErrOpen.
func (b *Box) Open(sealed, aad string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	id, body, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return nil, ErrOpen
	}
	ct, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrOpen
	}
	for _, k := range b.keys {
		if k.id != id || len(ct) < k.aead.NonceSize() {
			continue
		}
		n := k.aead.NonceSize()
		if plain, err := k.aead.Open(nil, ct[:n], ct[n:], []byte(aad)); err == nil {
			return plain, nil
		}
	}
	return nil, ErrOpen
}

// Stale reports whether sealed was made with a key other than the current
// one (the hub re-seals such values after rotation).
func (b *Box) Stale(sealed string) bool {
	return !strings.HasPrefix(sealed, prefix+b.keys[0].id+".")
}
