// Package agentless manages machines without an agent (issue 20): SSH
// credentials sealed with the hub's key file and resolved per host with a
// fallback to the defaults, host keys pinned on first use, ad-hoc scans,
// whitelisted commands, subnet sweeps and the Tailscale device list. Every
// use of a credential is written to the audit trail.
package agentless

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/keyfile"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// Store is what the service keeps (package sqlstore).
type Store interface {
	FindServer(ctx context.Context, id string) (*homelabcmd.Server, error)
	CreateServer(ctx context.Context, s *homelabcmd.Server) error
	ListServers(ctx context.Context) ([]*homelabcmd.Server, error)

	PutSSHCredential(ctx context.Context, serverID, ctype, sealed, actor string) (*homelabcmd.SSHCredential, error)
	SealedSSHCredential(ctx context.Context, serverID, ctype string) (string, error)
	ListSSHCredentials(ctx context.Context, serverID string) ([]*homelabcmd.SSHCredential, error)
	DeleteSSHCredential(ctx context.Context, serverID, ctype string) error

	PinnedHostKey(ctx context.Context, addr string) ([]byte, error)
	PinHostKey(ctx context.Context, k homelabcmd.HostKey) error
	ListHostKeys(ctx context.Context) ([]*homelabcmd.HostKey, error)
	DeleteHostKey(ctx context.Context, addr string) error

	SSHTarget(ctx context.Context, serverID string) (*homelabcmd.SSHTarget, error)
	PutSSHTarget(ctx context.Context, t homelabcmd.SSHTarget) error

	CreateScan(ctx context.Context, s *homelabcmd.Scan) error
	FinishScan(ctx context.Context, id int64, results json.RawMessage, hostKey, scanErr string) error
	FindScan(ctx context.Context, id int64) (*homelabcmd.Scan, error)
	ListScans(ctx context.Context, limit, offset int) ([]*homelabcmd.Scan, int, error)
	DeleteScan(ctx context.Context, id int64) error

	CreateDiscovery(ctx context.Context, d *homelabcmd.Discovery) error
	FinishDiscovery(ctx context.Context, id int64, devices []homelabcmd.DiscoveredDevice, method, sweepErr string) error
	FindDiscovery(ctx context.Context, id int64) (*homelabcmd.Discovery, error)
	LatestDiscovery(ctx context.Context) (*homelabcmd.Discovery, error)

	AddRemoteAudit(ctx context.Context, a homelabcmd.RemoteAudit) error
	ListRemoteAudit(ctx context.Context, limit int) ([]*homelabcmd.RemoteAudit, error)
	AddConfigCheck(ctx context.Context, c *homelabcmd.ConfigCheckRecord) error
	ListConfigChecks(ctx context.Context, serverID string, limit int) ([]*homelabcmd.ConfigCheckRecord, error)
	PutConfigApply(ctx context.Context, actionID int64, serverID, pack string, result json.RawMessage) error
	ConfigApply(ctx context.Context, actionID int64) (json.RawMessage, error)
	RemoteSetting(ctx context.Context, name string) (string, error)
	PutRemoteSetting(ctx context.Context, name, value string) error
}

// Service is the agentless use cases.
type Service struct {
	store  Store
	logger *slog.Logger
	// KeyFile is the secrets key file, loaded (and created) on first need.
	KeyFile string
	// TailscaleURL is the Tailscale API's base URL (tests point it at a
	// local server answering the public API's shapes).
	TailscaleURL string
	// HTTP is the client for the Tailscale API.
	HTTP *http.Client
	// AgentBinary finds the agent binaries installs and upgrades send.
	AgentBinary AgentSource
	deploying   sync.Map // server id → struct{}: one install, upgrade or removal at a time
	// Drift opens and resolves drift alerts; nil: none are raised.
	Drift DriftReporter
	// ScanTimeout bounds a whole scan; CommandTimeout a command.
	ScanTimeout, CommandTimeout time.Duration
	// Agents hands commands to servers whose agent declares the commands
	// capability; nil: every command goes over SSH.
	Agents AgentQueue
	// PackSource adds packs to the built-in ones (tests; nil: none).
	PackSource func() map[string]*Pack
	// SysctlDir is where an apply keeps a pack's sysctl values
	// (/etc/sysctl.d when empty; tests use their own directory).
	SysctlDir string

	boxOnce sync.Once
	box     *keyfile.Box
	boxErr  error

	bg      sync.WaitGroup
	limiter rateLimiter
}

// New returns the service over store, sealing with the key file at keyFile.
func New(store Store, keyFile string, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, KeyFile: keyFile, logger: logger, TailscaleURL: "https://api.tailscale.com",
		HTTP: &http.Client{Timeout: 15 * time.Second}, ScanTimeout: 2 * time.Minute, CommandTimeout: 60 * time.Second,
		limiter: rateLimiter{max: 10, per: time.Minute}}
}

// Wait blocks until background scans and sweeps have finished.
func (s *Service) Wait() { s.bg.Wait() }

// keys returns the sealing box, loading the key file on first use.
func (s *Service) keys() (*keyfile.Box, error) {
	s.boxOnce.Do(func() {
		if s.KeyFile == "" {
			s.boxErr = homelabcmd.Errorf(homelabcmd.EINTERNAL, "no secrets key file configured")
			return
		}
		s.box, s.boxErr = keyfile.Load(s.KeyFile)
		if s.boxErr != nil {
			s.logger.Error("secrets key file", "path", s.KeyFile, "err", s.boxErr)
		}
	})
	if s.boxErr != nil {
		return nil, &homelabcmd.Error{Code: homelabcmd.EINTERNAL, Message: "The secrets key file cannot be used; see the hub's log",
			Data: map[string]any{"code": "NO_ENCRYPTION_KEY"}}
	}
	return s.box, nil
}

// audit appends to the audit trail; a failure is logged, never hidden.
func (s *Service) audit(ctx context.Context, a homelabcmd.RemoteAudit) {
	if a.Outcome == "" {
		a.Outcome = "ok"
	}
	if err := s.store.AddRemoteAudit(context.WithoutCancel(ctx), a); err != nil {
		s.logger.Error("remote audit not written", "action", a.Action, "target", a.Target, "err", err)
	}
}

// Audit returns the newest audit entries.
func (s *Service) Audit(ctx context.Context, limit int) ([]*homelabcmd.RemoteAudit, error) {
	return s.store.ListRemoteAudit(ctx, limit)
}

// rateLimiter allows max calls per actor in a sliding window of per.
type rateLimiter struct {
	mu    sync.Mutex
	max   int
	per   time.Duration
	calls map[string][]time.Time
}

func (l *rateLimiter) allow(actor string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[string][]time.Time{}
	}
	kept := l.calls[actor][:0]
	for _, t := range l.calls[actor] {
		if now.Sub(t) < l.per {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.max {
		l.calls[actor] = kept
		return false
	}
	l.calls[actor] = append(kept, now)
	return true
}

var _ sshx.Pins = pins{}
