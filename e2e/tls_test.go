package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with serial to
// certFile and keyFile (each through a rename, as certbot does).
func writeCert(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "hub.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kb}} {
		if err := os.WriteFile(file+".new", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".new", file); err != nil {
			t.Fatal(err)
		}
	}
}

// serve --tls-cert/--tls-key speaks HTTPS, and picks up a renewed
// certificate without a restart; `homelabcmd health` follows.
func TestTLSReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, certFile, keyFile, 1)
	port := freePort(t)
	cmd := exec.Command(binary, "serve", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--tls-cert", certFile, "--tls-key", keyFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOMELAB_CMD_API_KEY="+testAPIKey)
	h := &Hub{process: startProcess(t, cmd), URL: fmt.Sprintf("https://127.0.0.1:%d", port), Dir: dir}
	t.Cleanup(func() { h.Stop(t) })

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the serial is what is checked
	serial := func() int64 {
		resp, err := client.Get(h.URL + "/api/v1/system/health")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.TLS == nil {
			return -1
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	waitSerial := func(want int64) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); serial() != want; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the hub does not present certificate %d:\n%s", want, h.Output())
			}
		}
	}
	waitSerial(1)
	if out, err := hubCommand(t, t.TempDir(), []string{fmt.Sprintf("HOMELAB_CMD_PORT=%d", port), "HOMELAB_CMD_TLS_CERT=" + certFile, "HOMELAB_CMD_TLS_KEY=" + keyFile}, "health"); err != nil {
		t.Fatalf("health over TLS: %v\n%s", err, out)
	}
	writeCert(t, certFile, keyFile, 2)
	waitSerial(2)
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/system/health", port)); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS port")
	}
}
