package agentless

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// ServerTarget is how to reach a server: its SSH target if one was set
// (import, PUT), else its IP address or host name with the defaults.
func (s *Service) ServerTarget(ctx context.Context, serverID string) (sshx.Target, error) {
	srv, err := s.store.FindServer(ctx, serverID)
	if err != nil {
		return sshx.Target{}, err
	}
	if t, err := s.store.SSHTarget(ctx, serverID); err == nil {
		return sshx.Target{Host: t.Host, Port: t.Port, User: t.Username}, nil
	} else if !homelabcmd.IsNotFound(err) {
		return sshx.Target{}, err
	}
	set, err := s.SSHSettings(ctx)
	if err != nil {
		return sshx.Target{}, err
	}
	host := srv.Hostname
	if srv.IPAddress != nil && *srv.IPAddress != "" {
		host = *srv.IPAddress
	}
	return sshx.Target{Host: host, Port: set.DefaultPort, User: set.DefaultUsername}, nil
}

// SSHTestResult is the answer of a connection test.
type SSHTestResult struct {
	Success     bool   `json:"success"`
	Address     string `json:"address"`
	Username    string `json:"username"`
	HostKey     string `json:"host_key_fingerprint,omitempty"`
	NewHostKey  bool   `json:"host_key_new"`
	LatencyMS   int64  `json:"latency_ms"`
	RemoteIdent string `json:"remote_hostname,omitempty"`
	Error       string `json:"error,omitempty"`
}

// TestServer logs in to a server and runs `hostname`. A changed host key
// or missing credential is an error; a failed login is a result.
func (s *Service) TestServer(ctx context.Context, actor, serverID string) (*SSHTestResult, error) {
	t, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	return s.test(ctx, actor, t, serverID)
}

// TestHost tests a host that need not be a server (default credentials).
func (s *Service) TestHost(ctx context.Context, actor, host string, port int, user string) (*SSHTestResult, error) {
	t, err := s.target(ctx, host, port, user)
	if err != nil {
		return nil, err
	}
	return s.test(ctx, actor, t, "")
}

func (s *Service) target(ctx context.Context, host string, port int, user string) (sshx.Target, error) {
	set, err := s.SSHSettings(ctx)
	if err != nil {
		return sshx.Target{}, err
	}
	if port == 0 {
		port = set.DefaultPort
	}
	if user == "" {
		user = set.DefaultUsername
	}
	if err := homelabcmd.ValidateSSHHost("hostname", host); err != nil {
		return sshx.Target{}, err
	}
	if err := homelabcmd.ValidatePort("port", port); err != nil {
		return sshx.Target{}, err
	}
	if err := homelabcmd.ValidateSSHUser("username", user); err != nil {
		return sshx.Target{}, err
	}
	return sshx.Target{Host: host, Port: port, User: user}, nil
}

func (s *Service) test(ctx context.Context, actor string, t sshx.Target, serverID string) (*SSHTestResult, error) {
	start := time.Now()
	res := &SSHTestResult{Address: t.Addr(), Username: t.User}
	conn, err := s.connect(ctx, actor, "test_ssh", t, serverID)
	if err != nil {
		if homelabcmd.ErrorCode(err) == homelabcmd.EBADREQUEST && !isCode(err, "NO_SSH_KEY") {
			res.Error = homelabcmd.ErrorMessage(err)
			return res, nil
		}
		return nil, err
	}
	defer conn.Close()
	res.HostKey, res.NewHostKey = conn.HostKey, conn.NewHostKey
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := conn.Run(cctx, "hostname", 1024)
	res.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		res.Error = err.Error()
		return res, nil
	}
	res.Success, res.RemoteIdent = out.ExitCode == 0, trimLine(out.Stdout)
	return res, nil
}

func isCode(err error, code string) bool {
	e, ok := err.(*homelabcmd.Error)
	return ok && e.Data["code"] == code
}

// ScanRequest asks for a scan of a host.
type ScanRequest struct {
	Hostname string `json:"hostname"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	ScanType string `json:"scan_type"` // quick (default) | full
}

// StartScan validates r, records a running scan and runs it in the
// background with the default credentials; GET the scan for its outcome.
func (s *Service) StartScan(ctx context.Context, actor string, r ScanRequest) (*homelabcmd.Scan, error) {
	if r.ScanType == "" {
		r.ScanType = "quick"
	}
	if r.ScanType != "quick" && r.ScanType != "full" {
		return nil, homelabcmd.FieldError("scan_type", "scan_type must be quick or full")
	}
	t, err := s.target(ctx, r.Hostname, r.Port, r.Username)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.resolveAuth(ctx, ""); err != nil {
		return nil, err // no credential: say so now, not in the history
	}
	scan := &homelabcmd.Scan{Hostname: t.Host, Port: t.Port, Username: t.User, ScanType: r.ScanType, RequestedBy: actor}
	if err := s.store.CreateScan(ctx, scan); err != nil {
		return nil, err
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.finishScan(context.WithoutCancel(ctx), actor, scan.ID, t, r.ScanType)
	}()
	return scan, nil
}

// finishScan runs a recorded scan (bounded by ScanTimeout) and stores its
// outcome in the history.
func (s *Service) finishScan(ctx context.Context, actor string, id int64, t sshx.Target, scanType string) string {
	ctx, cancel := context.WithTimeout(ctx, s.ScanTimeout)
	defer cancel()
	results, hostKey, err := s.runScan(ctx, actor, t, scanType)
	msg := ""
	if err != nil {
		msg = homelabcmd.ErrorMessage(err)
		if homelabcmd.ErrorCode(err) == homelabcmd.EINTERNAL {
			msg = err.Error()
		}
	}
	if err := s.store.FinishScan(ctx, id, results, hostKey, msg); err != nil {
		s.logger.Error("scan result not stored", "scan", id, "err", err)
	}
	return msg
}

func (s *Service) runScan(ctx context.Context, actor string, t sshx.Target, scanType string) (json.RawMessage, string, error) {
	conn, err := s.connect(ctx, actor, "scan", t, "")
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	script := quickScan
	if scanType == "full" {
		script = quickScan + fullScan
	}
	out, err := conn.Run(ctx, script, 1<<20)
	if err != nil {
		return nil, conn.HostKey, err
	}
	res := ParseScan(out.Stdout)
	b, err := json.Marshal(res)
	return b, conn.HostKey, err
}

// ImportRequest makes a server of a scanned or discovered host.
type ImportRequest struct {
	ServerID    string  `json:"server_id"`
	DisplayName *string `json:"display_name"`
	MachineType string  `json:"machine_type"`
	Hostname    string  `json:"hostname"`
	Port        int     `json:"port"`
	Username    string  `json:"username"`
}

// ImportScan creates a server from a completed scan, reachable at the
// scanned address. ENOTFOUND, ECONFLICT, EINVALID.
func (s *Service) ImportScan(ctx context.Context, actor string, scanID int64, r ImportRequest) (*homelabcmd.Server, error) {
	scan, err := s.store.FindScan(ctx, scanID)
	if err != nil {
		return nil, err
	}
	if scan.Status != homelabcmd.ScanCompleted {
		return nil, homelabcmd.Errorf(homelabcmd.ECONFLICT, "Scan %d is %s; only a completed scan can be imported", scanID, scan.Status)
	}
	var res ScanResult
	_ = json.Unmarshal(scan.Results, &res)
	r.Hostname, r.Port, r.Username = scan.Hostname, scan.Port, scan.Username
	srv := &homelabcmd.Server{ID: r.ServerID, Hostname: scan.Hostname, DisplayName: r.DisplayName, MachineType: r.MachineType}
	if res.Hostname != "" {
		srv.Hostname = res.Hostname
	}
	return s.importServer(ctx, actor, "scan_import", srv, r)
}

func (s *Service) importServer(ctx context.Context, actor, action string, srv *homelabcmd.Server, r ImportRequest) (*homelabcmd.Server, error) {
	t, err := s.target(ctx, r.Hostname, r.Port, r.Username)
	if err != nil {
		return nil, err
	}
	if srv.MachineType == "" {
		srv.MachineType = "server"
	}
	if net.ParseIP(t.Host) != nil {
		ip := t.Host
		srv.IPAddress = &ip
	}
	if err := s.store.CreateServer(ctx, srv); err != nil {
		return nil, err
	}
	if err := s.store.PutSSHTarget(ctx, homelabcmd.SSHTarget{ServerID: srv.ID, Host: t.Host, Port: t.Port, Username: t.User}); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: action, Target: t.Addr(), ServerID: &srv.ID, Detail: fmt.Sprintf("server %s created", srv.ID)})
	return s.store.FindServer(ctx, srv.ID)
}

// Scans, FindScan and DeleteScan read and prune the scan history.
func (s *Service) Scans(ctx context.Context, limit, offset int) ([]*homelabcmd.Scan, int, error) {
	return s.store.ListScans(ctx, limit, offset)
}

// FindScan returns a scan. ENOTFOUND.
func (s *Service) FindScan(ctx context.Context, id int64) (*homelabcmd.Scan, error) {
	return s.store.FindScan(ctx, id)
}

// DeleteScan removes a scan from the history. ENOTFOUND.
func (s *Service) DeleteScan(ctx context.Context, id int64) error { return s.store.DeleteScan(ctx, id) }

// SetServerTarget sets how the hub reaches a server over SSH. EINVALID, ENOTFOUND.
func (s *Service) SetServerTarget(ctx context.Context, actor string, t homelabcmd.SSHTarget) (*homelabcmd.SSHTarget, error) {
	if err := homelabcmd.ValidateSSHHost("host", t.Host); err != nil {
		return nil, err
	}
	if t.Port == 0 {
		t.Port = 22
	}
	if err := homelabcmd.ValidatePort("port", t.Port); err != nil {
		return nil, err
	}
	if err := homelabcmd.ValidateSSHUser("username", t.Username); err != nil {
		return nil, err
	}
	if _, err := s.store.FindServer(ctx, t.ServerID); err != nil {
		return nil, err
	}
	if err := s.checkJump(ctx, t); err != nil {
		return nil, err
	}
	if err := s.store.PutSSHTarget(ctx, t); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "ssh_target_set", Target: net.JoinHostPort(t.Host, fmt.Sprint(t.Port)), ServerID: &t.ServerID})
	return &t, nil
}
