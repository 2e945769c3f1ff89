package agentless_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sshx/sshtest"
)

var sshd *sshtest.SSHD

// TestMain starts one real sshd in a test network namespace for the package.
func TestMain(m *testing.M) {
	var err error
	sshd, err = sshtest.Start()
	if err != nil && (sshtest.Required() || !errors.Is(err, sshtest.ErrUnavailable)) {
		fmt.Fprintln(os.Stderr, "sshd:", err)
		os.Exit(1)
	}
	code := m.Run()
	if sshd != nil {
		sshd.Close()
	}
	os.Exit(code)
}

func needSSHD(t *testing.T) {
	t.Helper()
	if sshd == nil {
		t.Skip("no sshd: ", sshtest.ErrUnavailable)
	}
}

type env struct {
	db     *sqlstore.DB
	svc    *agentless.Service
	dbPath string
}

func newEnv(t *testing.T) *env { return newEnvTB(t) }

func newEnvTB(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.db")
	db, err := sqlstore.Open(context.Background(), "sqlite:///"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	svc := agentless.New(db, filepath.Join(dir, "secrets.key"), nil)
	t.Cleanup(svc.Wait)
	return &env{db: db, svc: svc, dbPath: path}
}

func (e *env) server(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.CreateServer(ctx, &homelabcmd.Server{ID: id, Hostname: id}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutSSHTarget(ctx, homelabcmd.SSHTarget{ServerID: id, Host: sshd.Host, Port: sshd.Port, Username: sshd.User}); err != nil {
		t.Fatal(err)
	}
}

func otherKey(t *testing.T) string {
	t.Helper()
	k, _, err := agentless.GenerateKey("other")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestCredentialFallback: a server's own credential of a type wins over the
// default; without one the default applies; every use is audited by name
// and no secret is stored in the clear.
func TestCredentialFallback(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "box")
	if _, err := e.svc.TestServer(ctx, "admin", "box"); !isCode(err, "NO_SSH_KEY") {
		t.Fatalf("no credential: %v", err)
	}
	if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		set    func() error
		wantOK bool
		cred   string // the audit's credential text
	}{
		{"default key", func() error { return nil }, true, "default ssh_private_key"},
		{"server's wrong key wins over the default", func() error {
			_, err := e.svc.SetCredential(ctx, "admin", "box", homelabcmd.CredSSHPrivateKey, otherKey(t))
			return err
		}, false, "server box ssh_private_key"},
		{"server password with the server's wrong key", func() error {
			_, err := e.svc.SetCredential(ctx, "admin", "box", homelabcmd.CredSSHPassword, sshd.Password)
			return err
		}, true, "server box ssh_private_key + server box ssh_password"},
		{"server key removed: default key and server password", func() error {
			return e.svc.DeleteCredential(ctx, "admin", "box", homelabcmd.CredSSHPrivateKey)
		}, true, "default ssh_private_key + server box ssh_password"},
	}
	for _, st := range steps {
		if err := st.set(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		res, err := e.svc.TestServer(ctx, "admin", "box")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if res.Success != st.wantOK || res.HostKey != ssh.FingerprintSHA256(sshd.HostKey) && st.wantOK {
			t.Fatalf("%s: %+v", st.name, res)
		}
		audit, err := e.svc.Audit(ctx, 1)
		if err != nil || audit[0].Action != "test_ssh" || audit[0].Credential != st.cred || audit[0].Actor != "admin" {
			t.Fatalf("%s: audit %+v %v", st.name, audit[0], err)
		}
	}
	list, err := e.svc.Credentials(ctx, "box")
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string]string{}
	for _, c := range list {
		if c.Scope != nil {
			scopes[c.CredentialType] = *c.Scope
		}
	}
	if scopes[homelabcmd.CredSSHPrivateKey] != "default" || scopes[homelabcmd.CredSSHPassword] != "server" || scopes[homelabcmd.CredSudoPassword] != "" {
		t.Fatalf("scopes %v", scopes)
	}
	e.db.Close()
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(e.dbPath + "-wal")
	for _, secret := range []string{sshd.Password, "OPENSSH PRIVATE KEY", string(sshd.ClientKey[40:80])} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
			t.Fatalf("secret %q stored in the clear", secret[:10])
		}
	}
}

func isCode(err error, code string) bool {
	var e *homelabcmd.Error
	return errors.As(err, &e) && e.Data["code"] == code
}

// TestHostKeyPinning: the first login pins; a different pinned key is
// refused (audited) until the operator forgets it.
func TestHostKeyPinning(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "box")
	if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("%s:%d", sshd.Host, sshd.Port)
	signer, _ := ssh.ParsePrivateKey([]byte(otherKey(t)))
	if err := e.db.PinHostKey(ctx, homelabcmd.HostKey{Addr: addr, KeyType: "ssh-ed25519", Fingerprint: "old", Key: signer.PublicKey().Marshal()}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.TestServer(ctx, "admin", "box")
	if !isCode(err, "HOST_KEY_CHANGED") || homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
		t.Fatalf("changed key: %v", err)
	}
	audit, _ := e.svc.Audit(ctx, 1)
	if audit[0].Outcome != "refused" {
		t.Fatalf("audit %+v", audit[0])
	}
	if err := e.svc.ForgetHostKey(ctx, "admin", addr); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.TestServer(ctx, "admin", "box")
	if err != nil || !res.Success || !res.NewHostKey {
		t.Fatalf("after forget: %+v %v", res, err)
	}
	keys, _ := e.svc.HostKeys(ctx)
	if len(keys) != 1 || keys[0].Fingerprint != ssh.FingerprintSHA256(sshd.HostKey) {
		t.Fatalf("pins %+v", keys)
	}
}

// TestScanImportCommand scans the namespace's host, imports it as a server
// and runs whitelisted commands on it; others are refused.
func TestScanImportCommand(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPassword, sshd.Password); err != nil {
		t.Fatal(err)
	}
	scan, err := e.svc.StartScan(ctx, "admin", agentless.ScanRequest{Hostname: sshd.Host, ScanType: "full"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Wait()
	got, err := e.svc.FindScan(ctx, scan.ID)
	if err != nil || got.Status != homelabcmd.ScanCompleted {
		t.Fatalf("%+v %v (error %v)", got, err, deref(got.Error))
	}
	var res agentless.ScanResult
	if err := json.Unmarshal(got.Results, &res); err != nil {
		t.Fatal(err)
	}
	hostname, _ := os.Hostname()
	port22 := false
	for _, l := range res.Listening {
		port22 = port22 || l.Port == 22 && l.Address == sshd.Host
	}
	if res.Hostname != hostname || res.OS.ID == "" || res.Kernel == "" || res.CPU.Cores < 1 || res.Memory.TotalMB < 1 || res.UptimeSeconds < 1 || !port22 || res.Upgrades == nil {
		t.Fatalf("scan results %+v", res)
	}
	srv, err := e.svc.ImportScan(ctx, "admin", scan.ID, agentless.ImportRequest{ServerID: "scanned"})
	if err != nil || srv.Hostname != hostname || srv.IPAddress == nil || *srv.IPAddress != sshd.Host {
		t.Fatalf("import %+v %v", srv, err)
	}
	if _, err := e.svc.ImportScan(ctx, "admin", scan.ID, agentless.ImportRequest{ServerID: "scanned"}); !homelabcmd.IsConflict(err) {
		t.Fatalf("second import: %v", err)
	}

	out, err := e.svc.Execute(ctx, "admin", "scanned", "uptime", "")
	if err != nil || !out.Success || out.ActionType != "uptime" || !strings.Contains(out.Stdout, "load average") {
		t.Fatalf("uptime: %+v %v", out, err)
	}
	out, err = e.svc.Execute(ctx, "admin", "scanned", "systemctl status no-such-unit-hlt", "service_status")
	if err != nil || out.Success || out.ExitCode == 0 {
		t.Fatalf("status of a missing unit: %+v %v", out, err)
	}
	for _, cmd := range []struct{ text, actionType string }{
		{"rm -rf /", ""},
		{"uptime; id", ""},
		{"systemctl restart nginx;id", ""},
		{"systemctl restart $(id)", ""},
		{"systemctl restart --help", ""},
		{"journalctl -u ssh -n 9999", ""},
		{"uptime", "restart_service"}, // the action type must agree
	} {
		if _, err := e.svc.Execute(ctx, "admin", "scanned", cmd.text, cmd.actionType); !errors.Is(err, agentless.ErrNotWhitelisted) {
			t.Errorf("%q was not refused: %v", cmd.text, err)
		}
	}
	audit, _ := e.svc.Audit(ctx, 1)
	if audit[0].Outcome != "refused" || !strings.Contains(audit[0].Detail, "not whitelisted") {
		t.Fatalf("refusal not audited: %+v", audit[0])
	}
	if _, err := e.svc.Execute(ctx, "admin", "ghost", "uptime", ""); !homelabcmd.IsNotFound(err) {
		t.Fatalf("unknown server: %v", err)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestDiscoverySweep sweeps only the test namespace's own /30.
func TestDiscoverySweep(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "known")
	if _, err := e.db.UpdateServer(ctx, "known", homelabcmd.ServerUpdate{IPAddress: &sshd.Host}); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.StartDiscovery(ctx, "admin", sshd.Subnet, false)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Wait()
	got, err := e.svc.FindDiscovery(ctx, d.ID)
	if err != nil || got.Status != "completed" {
		t.Fatalf("%+v %v", got, err)
	}
	var found *homelabcmd.DiscoveredDevice
	for i := range got.Devices {
		if got.Devices[i].IP == sshd.Host {
			found = &got.Devices[i]
		}
	}
	if found == nil || !found.SSHAvailable || found.ServerID == nil || *found.ServerID != "known" {
		t.Fatalf("devices %+v", got.Devices)
	}
	// The tests run as root: the hub may send ICMP, and the namespace's
	// host answers it; the result says both methods were used.
	if got.Method != "tcp+icmp" || !found.ICMPReply {
		t.Fatalf("method %q, icmp reply %v", got.Method, found.ICMPReply)
	}
}

func agentlessImport(id string) agentless.ImportRequest { return agentless.ImportRequest{ServerID: id} }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestDiscoverServices lists the namespace host's units over SSH: a list
// where systemd runs, else a clear error naming systemctl (as here, in a
// container without systemd).
func TestDiscoverServices(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "box")
	if _, err := e.svc.SetCredential(ctx, "admin", "box", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.DiscoverServices(ctx, "admin", "box", "", 0, "")
	if exec.Command("systemctl", "list-units", "--no-pager").Run() == nil {
		if err != nil || len(list) == 0 {
			t.Fatalf("%v %v", list, err)
		}
	} else if homelabcmd.ErrorCode(err) != homelabcmd.EBADREQUEST || !strings.Contains(homelabcmd.ErrorMessage(err), "systemctl failed") {
		t.Fatalf("without systemd: %v %v", list, err)
	}
	audit, _ := e.svc.Audit(ctx, 1)
	if audit[0].Action != "service_discovery" || audit[0].Credential != "server box ssh_private_key" {
		t.Fatalf("audit %+v", audit[0])
	}
}
