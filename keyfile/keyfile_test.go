package keyfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/keyfile"
)

func TestLoadCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secrets.key")
	b, err := keyfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v err %v", st.Mode(), err)
	}
	sealed := b.Seal([]byte("hunter2"), "ssh_password:web1")
	if strings.Contains(sealed, "hunter2") {
		t.Fatal("plaintext in sealed value")
	}
	again, err := keyfile.Load(path) // the same key is read back
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(sealed, "ssh_password:web1"); err != nil || string(got) != "hunter2" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyfile.Load(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable key file was accepted: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	b, err := keyfile.Parse([]byte(keyfile.NewKey()))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := keyfile.Parse([]byte(keyfile.NewKey()))
	sealed := b.Seal([]byte("secret"), "a")
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 1
	tests := []struct {
		name, sealed, aad string
		box               *keyfile.Box
	}{
		{"another row", sealed, "b", b},
		{"another key", sealed, "a", other},
		{"tampered", string(flipped), "a", b},
		{"garbage", "not sealed", "a", b},
		{"empty", "", "a", b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.box.Open(tt.sealed, tt.aad); !errors.Is(err, keyfile.ErrOpen) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := keyfile.NewKey(), keyfile.NewKey()
	before, _ := keyfile.Parse([]byte(oldKey))
	sealed := before.Seal([]byte("pw"), "x")
	after, err := keyfile.Parse([]byte("# rotated\n" + newKey + "\n" + oldKey + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Open(sealed, "x"); err != nil || string(got) != "pw" {
		t.Fatalf("old value after rotation: %q %v", got, err)
	}
	if !after.Stale(sealed) || after.Stale(after.Seal([]byte("pw"), "x")) {
		t.Fatal("Stale wrong")
	}
	if _, err := keyfile.Parse([]byte("# only a comment\n")); err == nil {
		t.Fatal("empty key file accepted")
	}
	if _, err := keyfile.Parse([]byte("c2hvcnQ=\n")); err == nil {
		t.Fatal("short key accepted")
	}
}
