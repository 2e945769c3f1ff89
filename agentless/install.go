package agentless

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent"
	"github.com/homelabcmd/homelabcmd/agent/agentcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// Where an agent installed over SSH lives on the target: the slim agent's
// binary, and the config, unit and state folder `homelabcmd-agent install`
// writes (one source: that command writes them, the hub only runs it).
const (
	AgentBinaryPath = "/usr/local/bin/homelabcmd-agent"
	agentUnit       = "homelab-agent.service"
)

// AgentSource finds the slim agent binary the hub serves for an
// architecture (amd64, arm64, armv7) and its SHA-256 in hex: the same file
// and checksum as GET /api/v1/agents/download/{arch}.
type AgentSource func(arch string) (path, sha256 string, err error)

// deployStore is what agent deployment keeps besides Store (package sqlstore).
type deployStore interface {
	CreateRegistrationToken(ctx context.Context, t *homelabcmd.RegistrationToken, ttl time.Duration) error
	SetServerInactive(ctx context.Context, id string, inactive bool) (*homelabcmd.Server, error)
	RevokeAgentToken(ctx context.Context, guid string) error
	DeleteServer(ctx context.Context, id string) error
}

// deployOutputLimit bounds what a step keeps of each output stream;
// stepOutputShown what the answer and the audit show of it.
const (
	deployOutputLimit = 16 << 10
	stepOutputShown   = 2000
)

// AgentInstallRequest asks for an agent on a machine reachable over SSH.
type AgentInstallRequest struct {
	Hostname          string   `json:"hostname"`
	Port              int      `json:"port"`
	Username          string   `json:"username"`
	ServerID          string   `json:"server_id"`
	DisplayName       *string  `json:"display_name"`
	MonitoredServices []string `json:"monitored_services"`
	// CommandExecutionEnabled installs the agent in readwrite mode (the
	// original's field); Mode may say so directly.
	CommandExecutionEnabled bool   `json:"command_execution_enabled"`
	Mode                    string `json:"mode"`
	// HubURL is how the machine reaches the hub; the API fills in the
	// URL the request came to when it is empty.
	HubURL string `json:"hub_url"`
}

// DeployStep is one remote step of an install, upgrade or removal.
type DeployStep struct {
	Step     string `json:"step"`
	ExitCode int    `json:"exit_code"`
	Output   string `json:"output,omitempty"`
}

// AgentDeployResult is the answer of install, upgrade and remove (the
// original's AgentInstallResponse plus the steps).
type AgentDeployResult struct {
	Success      bool         `json:"success"`
	ServerID     string       `json:"server_id"`
	Message      string       `json:"message"`
	Error        *string      `json:"error"`
	AgentVersion *string      `json:"agent_version"`
	Architecture string       `json:"architecture,omitempty"`
	Steps        []DeployStep `json:"steps"`
}

// ErrAgentChecksum is an uploaded binary whose SHA-256 on the target is not
// the hub's: nothing was replaced.
var ErrAgentChecksum = errors.New("the agent binary's SHA-256 on the target differs from the hub's; nothing was installed")

// deployment is one SSH session of install, upgrade or removal: it runs
// fixed argv (quoted by sshx), with sudo when the login is not root, and
// records and audits every step.
type deployment struct {
	s        *Service
	ctx      context.Context
	conn     *sshx.Conn
	actor    string
	action   string
	serverID string
	target   sshx.Target
	sudoPW   string // fed to sudo -S over stdin, never in argv or logs
	steps    []DeployStep
}

func (s *Service) deployStore() (deployStore, error) {
	d, ok := s.store.(deployStore)
	if !ok {
		return nil, homelabcmd.Errorf(homelabcmd.EINTERNAL, "this store cannot deploy agents")
	}
	return d, nil
}

// lockServer claims serverID for one install, upgrade or removal; the
// returned func releases it. ECONFLICT while another runs.
func (s *Service) lockServer(serverID string) (func(), error) {
	if _, busy := s.deploying.LoadOrStore(serverID, struct{}{}); busy {
		return nil, homelabcmd.Errorf(homelabcmd.ECONFLICT, "An agent install, upgrade or removal of server '%s' is running; try again when it has finished", serverID)
	}
	return func() { s.deploying.Delete(serverID) }, nil
}

// deployServer is the deploy store and the server id names. ENOTFOUND.
func (s *Service) deployServer(ctx context.Context, id string) (deployStore, *homelabcmd.Server, error) {
	ds, err := s.deployStore()
	if err != nil {
		return nil, nil, err
	}
	srv, err := s.store.FindServer(ctx, id)
	return ds, srv, err
}

// begin connects to t for serverID's credentials (key or password, then
// the sudo password when the login is not root).
func (s *Service) begin(ctx context.Context, actor, action, serverID string, t sshx.Target, override *sshx.Auth) (*deployment, error) {
	var conn *sshx.Conn
	var err error
	if override != nil {
		conn, err = s.connectWith(ctx, actor, action, t, serverID, *override, "request")
	} else {
		conn, err = s.connect(ctx, actor, action, t, serverID)
	}
	if err != nil {
		return nil, err
	}
	d := &deployment{s: s, ctx: ctx, conn: conn, actor: actor, action: action, serverID: serverID, target: t}
	if t.User != "root" {
		pw, from, err := s.open(ctx, serverID, homelabcmd.CredSudoPassword)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if pw == "" && override != nil && override.Password != "" {
			// A login password given for this call opens sudo as well
			// (the usual set-up of a personal account).
			pw, from = override.Password, "request ssh_password"
		}
		if pw != "" {
			d.sudoPW = pw
			s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: action, Target: t.Addr(), ServerID: d.sid(), Credential: from,
				Detail: "sudo password used (over stdin)"})
		}
	}
	return d, nil
}

func (d *deployment) sid() *string {
	if d.serverID == "" {
		return nil
	}
	id := d.serverID
	return &id
}

// run runs argv as the login user; privileged runs it through sudo when
// the login is not root. shown is what the steps and the audit say
// instead of argv (argv may hold a registration token); in is stdin.
func (d *deployment) run(step string, privileged bool, argv, shown []string, in io.Reader) (*sshx.Result, error) {
	if shown == nil {
		shown = argv
	}
	command := sshx.Command(argv...)
	if privileged && d.target.User != "root" {
		var pw []byte
		command, pw = sshx.Sudo{User: d.target.User, Password: d.sudoPW}.Wrap(argv...)
		if pw != nil && in != nil {
			in = io.MultiReader(bytes.NewReader(pw), in)
		} else if pw != nil {
			in = bytes.NewReader(pw)
		}
		shown = append([]string{"sudo"}, shown...)
	}
	ctx, cancel := context.WithTimeout(d.ctx, d.s.CommandTimeout*5)
	defer cancel()
	res, err := d.conn.RunInput(ctx, command, in, deployOutputLimit)
	entry := homelabcmd.RemoteAudit{Actor: d.actor, Action: d.action, Target: d.target.Addr(), ServerID: d.sid(),
		Detail: step + ": " + strings.Join(shown, " ")}
	if err != nil {
		entry.Outcome, entry.Detail = "error", entry.Detail+": "+err.Error()
		d.s.audit(d.ctx, entry)
		d.steps = append(d.steps, DeployStep{Step: step, ExitCode: -1, Output: err.Error()})
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	out := strings.TrimSpace(res.Stdout + "\n" + res.Stderr)
	if d.sudoPW != "" {
		out = strings.ReplaceAll(out, d.sudoPW, "********")
	}
	out = truncate(out, stepOutputShown)
	entry.Detail += " → exit " + strconv.Itoa(res.ExitCode)
	if res.ExitCode != 0 {
		entry.Outcome = "error"
		entry.Detail += ": " + truncate(out, 300)
	}
	d.s.audit(d.ctx, entry)
	d.steps = append(d.steps, DeployStep{Step: step, ExitCode: res.ExitCode, Output: out})
	return res, nil
}

// must is run that turns a non-zero exit into an error.
func (d *deployment) must(step string, privileged bool, argv, shown []string, in io.Reader) (*sshx.Result, error) {
	res, err := d.run(step, privileged, argv, shown, in)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("%s failed (exit %d): %s", step, res.ExitCode, truncate(strings.TrimSpace(res.Stderr+" "+res.Stdout), 300))
	}
	return res, nil
}

// archOf maps `uname -m` to the names of the agent's release files.
func archOf(machine string) (string, error) {
	switch strings.TrimSpace(machine) {
	case "x86_64", "amd64":
		return "amd64", nil
	case "aarch64", "arm64", "armv8l":
		return "arm64", nil
	case "armv7l", "armv7", "armhf":
		return "armv7", nil
	}
	return "", homelabcmd.Errorf(homelabcmd.EBADREQUEST, "No agent for the machine's architecture %q (releases have amd64, arm64 and armv7)", truncate(strings.TrimSpace(machine), 40))
}

var (
	tempPath = regexp.MustCompile(`^/tmp/homelabcmd-agent\.[A-Za-z0-9]+$`)
	unitName = regexp.MustCompile(`^` + unitArg + `$`)
)

// sendBinary detects the architecture, uploads the hub's agent binary to
// a fresh temp file, checks its SHA-256 there and installs it at
// AgentBinaryPath (keeping the old one as .previous when keepPrevious).
// The new file is written next to the old and renamed over it.
func (d *deployment) sendBinary(keepPrevious bool) (arch string, err error) {
	if d.s.AgentBinary == nil {
		return "", homelabcmd.Errorf(homelabcmd.EINTERNAL, "the hub serves no agent binaries")
	}
	res, err := d.must("detect architecture", false, []string{"uname", "-m"}, nil, nil)
	if err != nil {
		return "", err
	}
	if arch, err = archOf(res.Stdout); err != nil {
		return "", err
	}
	path, sum, err := d.s.AgentBinary(arch)
	if err != nil {
		return arch, err
	}
	f, err := os.Open(path)
	if err != nil {
		return arch, err
	}
	defer f.Close()
	res, err = d.must("make a temp file", false, []string{"mktemp", "/tmp/homelabcmd-agent.XXXXXX"}, nil, nil)
	if err != nil {
		return arch, err
	}
	tmp := strings.TrimSpace(res.Stdout)
	if !tempPath.MatchString(tmp) {
		return arch, fmt.Errorf("mktemp answered %q", truncate(tmp, 80))
	}
	defer d.run("remove the temp file", false, []string{"rm", "-f", tmp}, nil, nil) //nolint:errcheck // best effort, recorded
	if _, err := d.must("upload the agent binary", false, []string{"dd", "of=" + tmp, "bs=65536"}, nil, f); err != nil {
		return arch, err
	}
	if err := d.verify(tmp, sum); err != nil {
		return arch, err
	}
	if keepPrevious {
		if _, err := d.must("keep the running binary as .previous", true, []string{"cp", "-p", AgentBinaryPath, AgentBinaryPath + ".previous"}, nil, nil); err != nil {
			return arch, err
		}
	}
	if _, err := d.must("copy the binary next to the old one", true, []string{"cp", tmp, AgentBinaryPath + ".new"}, nil, nil); err != nil {
		return arch, err
	}
	if _, err := d.must("make it executable", true, []string{"chmod", "0755", AgentBinaryPath + ".new"}, nil, nil); err != nil {
		return arch, err
	}
	if err := d.verify(AgentBinaryPath+".new", sum); err != nil {
		d.run("remove the bad copy", true, []string{"rm", "-f", AgentBinaryPath + ".new"}, nil, nil) //nolint:errcheck
		return arch, err
	}
	_, err = d.must("rename it over the old binary", true, []string{"mv", "-f", AgentBinaryPath + ".new", AgentBinaryPath}, nil, nil)
	return arch, err
}

// verify checks path's SHA-256 on the target against want.
func (d *deployment) verify(path, want string) error {
	res, err := d.must("verify the SHA-256", false, []string{"sha256sum", path}, nil, nil)
	if err != nil {
		return err
	}
	got, _, _ := strings.Cut(strings.TrimSpace(res.Stdout), " ")
	if !strings.EqualFold(got, want) {
		d.s.audit(d.ctx, homelabcmd.RemoteAudit{Actor: d.actor, Action: d.action, Target: d.target.Addr(), ServerID: d.sid(), Outcome: "refused",
			Detail: fmt.Sprintf("checksum mismatch on %s: hub %s, target %s", path, want, truncate(got, 64))})
		return ErrAgentChecksum
	}
	return nil
}

// version asks the installed binary for its version ("" when it cannot).
func (d *deployment) version() *string {
	res, err := d.run("agent version", false, []string{AgentBinaryPath, "--version"}, nil, nil)
	if err != nil || res.ExitCode != 0 {
		return nil
	}
	f := strings.Fields(res.Stdout)
	if len(f) < 2 {
		return nil
	}
	return &f[1]
}

// result finishes a deployment's answer; err (if any) becomes its error.
func (d *deployment) result(msg string, err error) *AgentDeployResult {
	return deployResult(d.serverID, msg, d.steps, err)
}

// deployResult is an answer with the steps run; err (if any) is its error.
func deployResult(serverID, msg string, steps []DeployStep, err error) *AgentDeployResult {
	r := &AgentDeployResult{Success: err == nil, ServerID: serverID, Message: msg, Steps: steps}
	if err != nil {
		e := homelabcmd.ErrorMessage(err)
		if !errors.As(err, new(*homelabcmd.Error)) {
			e = err.Error()
		}
		r.Error = &e
	}
	if r.Steps == nil {
		r.Steps = []DeployStep{}
	}
	return r
}

// InstallAgent installs the slim agent on a machine over SSH: detect its
// architecture, upload the hub's binary and check its SHA-256 there, then
// run the binary's own `install` with a fresh one-time registration token
// (never the operator key), which claims the agent's token from the hub
// and writes the config and systemd unit; then systemctl daemon-reload and
// enable --now. A failed step ends the install with success false and the
// steps so far. EINVALID, EBADREQUEST (no credentials, unknown
// architecture), ECONFLICT (host key changed).
func (s *Service) InstallAgent(ctx context.Context, actor string, r AgentInstallRequest) (*AgentDeployResult, error) {
	ds, err := s.deployStore()
	if err != nil {
		return nil, err
	}
	if err := homelabcmd.ValidateServerID(r.ServerID); err != nil {
		return nil, err
	}
	unlock, err := s.lockServer(r.ServerID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if r.HubURL == "" || !(strings.HasPrefix(r.HubURL, "http://") || strings.HasPrefix(r.HubURL, "https://")) || len(r.HubURL) > 500 {
		return nil, homelabcmd.FieldError("hub_url", "hub_url must be the hub's http:// or https:// URL as the machine reaches it")
	}
	mode := r.Mode
	switch {
	case mode == "" && r.CommandExecutionEnabled:
		mode = "readwrite"
	case mode == "":
		mode = "readonly"
	case mode != "readonly" && mode != "readwrite":
		return nil, homelabcmd.FieldError("mode", "mode must be readonly or readwrite")
	}
	for _, svc := range r.MonitoredServices {
		if !unitName.MatchString(svc) {
			return nil, homelabcmd.FieldError("monitored_services", "monitored_services must be systemd unit names")
		}
	}
	// An existing server is reached as stored unless the request says otherwise.
	var t sshx.Target
	existing, err := s.store.FindServer(ctx, r.ServerID)
	switch {
	case err == nil && r.Hostname == "":
		if t, err = s.ServerTarget(ctx, r.ServerID); err != nil {
			return nil, err
		}
	case err == nil || homelabcmd.IsNotFound(err):
		if t, err = s.target(ctx, r.Hostname, r.Port, r.Username); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if existing != nil && existing.IsInactive {
		return nil, homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' is inactive (its agent was removed); activate it first", r.ServerID)
	}
	credScope := ""
	if existing != nil {
		credScope = r.ServerID
	}
	d, err := s.begin(ctx, actor, "agent_install", credScope, t, nil)
	if err != nil {
		return nil, err
	}
	defer d.conn.Close()
	d.serverID = r.ServerID
	arch, err := d.sendBinary(false)
	if err != nil {
		res := d.result("The agent was not installed", err)
		res.Architecture = arch
		return res, nil
	}
	// A reinstall takes the server over: the old agent's token goes first,
	// or the claim would be refused.
	if existing != nil && existing.GUID != nil {
		if err := ds.RevokeAgentToken(ctx, *existing.GUID); err == nil {
			s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "agent_install", Target: r.ServerID, ServerID: &r.ServerID,
				Detail: "the previous agent's token revoked for the reinstall"})
		} else if !homelabcmd.IsNotFound(err) {
			return nil, err
		}
	}
	tok := &homelabcmd.RegistrationToken{Mode: mode, DisplayName: r.DisplayName, MonitoredServices: r.MonitoredServices, AllowExisting: true}
	if err := ds.CreateRegistrationToken(ctx, tok, 15*time.Minute); err != nil {
		return nil, err
	}
	argv := []string{AgentBinaryPath, "install", "--hub", r.HubURL, "--server-id", r.ServerID, "--binary", AgentBinaryPath,
		"--config", agent.DefaultConfigPath, "--unit", agentcmd.DefaultUnitPath, "--state-dir", agentcmd.DefaultStateDir, "--no-start", "--force",
		"--registration-token", tok.Token}
	shown := append(append([]string(nil), argv[:len(argv)-1]...), tok.Prefix+"…")
	if _, err := d.must("write the config and unit (agent install)", true, argv, shown, nil); err != nil {
		return d.result("The agent binary is on the machine but was not set up", err), nil
	}
	for _, step := range [][]string{{"systemctl", "daemon-reload"}, {"systemctl", "enable", "--now", agentUnit}} {
		if _, err := d.must(strings.Join(step, " "), true, step, nil, nil); err != nil {
			return d.result("The agent is installed but did not start", err), nil
		}
	}
	if r.Hostname != "" { // else it was reached at its stored target (and jump host)
		if err := s.store.PutSSHTarget(ctx, homelabcmd.SSHTarget{ServerID: r.ServerID, Host: t.Host, Port: t.Port, Username: t.User}); err != nil {
			return nil, err
		}
	}
	res := d.result(fmt.Sprintf("Agent installed on %s and started; server %s appears once it sends its first heartbeat", t.Addr(), r.ServerID), nil)
	res.Architecture, res.AgentVersion = arch, d.version()
	return res, nil
}

// UpgradeAgent replaces a server's agent with the binary the hub serves
// (SHA-256 checked on the target, the old one kept as .previous) and
// restarts it. ENOTFOUND, ECONFLICT (inactive server, host key changed).
func (s *Service) UpgradeAgent(ctx context.Context, actor, serverID string) (*AgentDeployResult, error) {
	unlock, err := s.lockServer(serverID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	srv, err := s.store.FindServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	if srv.IsInactive {
		return nil, homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' is inactive (its agent was removed); install it again instead", serverID)
	}
	t, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	d, err := s.begin(ctx, actor, "agent_upgrade", serverID, t, nil)
	if err != nil {
		return nil, err
	}
	defer d.conn.Close()
	arch, err := d.sendBinary(true)
	if err == nil {
		_, err = d.must("systemctl restart", true, []string{"systemctl", "restart", agentUnit}, nil, nil)
	}
	if err != nil {
		res := d.result("The agent was not upgraded", err)
		res.Architecture = arch
		return res, nil
	}
	res := d.result("Agent upgraded and restarted; the previous binary is kept as "+AgentBinaryPath+".previous", nil)
	res.Architecture, res.AgentVersion = arch, d.version()
	return res, nil
}

// AgentRemoveRequest is the original's removal body: the SSH login may be
// given for this call only (not stored).
type AgentRemoveRequest struct {
	DeleteCompletely bool   `json:"delete_completely"`
	SSHUsername      string `json:"ssh_username"`
	SSHPassword      string `json:"ssh_password"`
}

// RemoveAgent stops and disables a server's agent over SSH, deletes its
// binary, config, unit and state, revokes its token, then marks the
// server inactive (or deletes it with DeleteCompletely). When the machine
// cannot be reached the server is still marked inactive (or deleted) and
// the answer says the files stay. ENOTFOUND.
func (s *Service) RemoveAgent(ctx context.Context, actor, serverID string, r AgentRemoveRequest) (*AgentDeployResult, error) {
	unlock, err := s.lockServer(serverID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ds, srv, err := s.deployServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	t, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	var override *sshx.Auth
	if r.SSHUsername != "" {
		if err := homelabcmd.ValidateSSHUser("ssh_username", r.SSHUsername); err != nil {
			return nil, err
		}
		t.User = r.SSHUsername
	}
	if r.SSHPassword != "" {
		override = &sshx.Auth{Password: r.SSHPassword}
	}
	var remoteErr error
	var steps []DeployStep
	d, err := s.begin(ctx, actor, "agent_remove", serverID, t, override)
	if err != nil {
		if homelabcmd.ErrorCode(err) == homelabcmd.ECONFLICT { // a changed host key: do nothing
			return nil, err
		}
		remoteErr = err
	} else {
		defer d.conn.Close()
		if _, err := d.run("systemctl disable --now", true, []string{"systemctl", "disable", "--now", agentUnit}, nil, nil); err != nil {
			remoteErr = err
		}
		if remoteErr == nil {
			_, remoteErr = d.must("delete the agent's files", true, []string{"rm", "-rf", AgentBinaryPath, AgentBinaryPath + ".previous",
				AgentBinaryPath + ".new", agent.DefaultConfigPath, agentcmd.DefaultUnitPath, agentcmd.DefaultStateDir}, nil, nil)
		}
		if remoteErr == nil {
			_, remoteErr = d.must("systemctl daemon-reload", true, []string{"systemctl", "daemon-reload"}, nil, nil)
		}
		steps = d.steps
	}
	if srv.GUID != nil {
		if err := ds.RevokeAgentToken(ctx, *srv.GUID); err != nil && !homelabcmd.IsNotFound(err) {
			return nil, err
		}
	}
	outcome := "server marked inactive"
	if r.DeleteCompletely {
		err = ds.DeleteServer(ctx, serverID)
		outcome = "server deleted"
	} else {
		_, err = ds.SetServerInactive(ctx, serverID, true)
	}
	if err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "agent_remove", Target: serverID, ServerID: func() *string {
		if r.DeleteCompletely {
			return nil
		}
		return &serverID
	}(), Detail: outcome})
	msg := "Agent stopped and its files deleted; " + outcome
	if remoteErr != nil {
		msg = "The agent could not be removed over SSH (its files stay on the machine); " + outcome
	}
	return deployResult(serverID, msg, steps, remoteErr), nil
}

// ActivateAgent clears a server's inactive mark so that its heartbeats are
// taken again. ENOTFOUND, ECONFLICT when it is not inactive.
func (s *Service) ActivateAgent(ctx context.Context, actor, serverID string) (*homelabcmd.Server, error) {
	ds, srv, err := s.deployServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	if !srv.IsInactive {
		return nil, homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' is not inactive", serverID)
	}
	if srv, err = ds.SetServerInactive(ctx, serverID, false); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "agent_activate", Target: serverID, ServerID: &serverID})
	return srv, nil
}
