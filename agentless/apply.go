package agentless

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// Applying a configuration pack: an action (homelabcmd.ActionApplyConfigPack)
// a person approves, which the hub then carries out over SSH. Only the
// items the check finds out of line are changed, each with a fixed argv
// (every word quoted): files written atomically (a staged copy installed
// with its mode and owner beside the target, then renamed over it), units
// enabled, sysctl values set (and kept in a file under SysctlDir), packages
// installed or removed with apt-get. The result keeps each item's output
// and the compliance check made afterwards.

// ApplyItem is what applying one item of a pack did.
type ApplyItem struct {
	Type string `json:"type"` // file | package | package_absent | unit | sysctl
	Name string `json:"name"`
	// Result: unchanged (already compliant), applied, failed, or skipped
	// (the pack cannot say what to write: a file given only by hash).
	Result string `json:"result"`
	Output string `json:"output,omitempty"`
}

// ApplyResult is a finished apply.
type ApplyResult struct {
	ApplyID    int64        `json:"apply_id"`
	ServerID   string       `json:"server_id"`
	Pack       string       `json:"pack"`
	Success    bool         `json:"success"`
	Applied    int          `json:"applied"`
	Failed     int          `json:"failed"`
	Items      []ApplyItem  `json:"items"`
	Compliance *ConfigCheck `json:"compliance"`
	// Error is why the apply stopped before the items (no SSH login).
	Error      string    `json:"error,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
}

// itemOutputLimit bounds each item's kept output.
const itemOutputLimit = 2000

// Pack returns the pack named name (built in, or given by PackSource). Nil when unknown.
func (s *Service) Pack(name string) *Pack {
	if s.PackSource != nil {
		if p := s.PackSource()[name]; p != nil {
			return p
		}
	}
	return Packs()[name]
}

// ApplyPack applies pack to a server over SSH: the items the check finds
// out of line are changed, then the server is checked again (kept as its
// compliance state). An error means nothing was attempted (no login).
func (s *Service) ApplyPack(ctx context.Context, actor, serverID string, pack *Pack) (*ApplyResult, error) {
	target, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	sudoPW, sudoFrom, err := s.open(ctx, serverID, homelabcmd.CredSudoPassword)
	if err != nil {
		return nil, err
	}
	conn, err := s.connect(ctx, actor, "config_apply", target, serverID)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if target.User != "root" {
		detail := "pack " + pack.Name + ": as root through sudo -n"
		if sudoPW != "" {
			detail = "pack " + pack.Name + ": as root through sudo, password from " + sudoFrom
		}
		s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "config_apply", Target: target.Addr(), ServerID: &serverID, Credential: sudoFrom, Detail: detail})
	}
	a := applier{conn: conn, sudo: sshx.Sudo{User: target.User, Password: sudoPW}, sysctlDir: s.sysctlDir()}
	cctx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
	out, err := conn.Run(cctx, checkScript([]*Pack{pack}), 1<<20)
	cancel()
	if err != nil {
		return nil, err
	}
	res := &ApplyResult{ServerID: serverID, Pack: pack.Name, Items: []ApplyItem{}}
	before := evaluate([]*Pack{pack}, out.Stdout)
	sysctlChanged := false
	for _, it := range before {
		ai := ApplyItem{Type: it.Type, Name: it.Name, Result: "unchanged"}
		if !it.Compliant {
			ictx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
			ai.Result, ai.Output = a.apply(ictx, pack, it)
			cancel()
			sysctlChanged = sysctlChanged || (it.Type == "sysctl" && ai.Result == "applied")
		}
		res.Items = append(res.Items, ai)
	}
	if sysctlChanged { // kept across reboots: the pack's values in one file
		ictx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
		ai := ApplyItem{Type: "sysctl_file", Name: path.Join(a.sysctlDir, "90-homelabcmd-"+pack.Name+".conf")}
		var b strings.Builder
		for _, k := range sortedKeys(pack.Sysctl) {
			fmt.Fprintf(&b, "%s = %s\n", k, pack.Sysctl[k])
		}
		ai.Result, ai.Output = a.writeFile(ictx, PackFile{Path: ai.Name, Mode: "0644"}, b.String())
		cancel()
		res.Items = append(res.Items, ai)
	}
	res.Success = true
	for _, it := range res.Items {
		switch it.Result {
		case "applied":
			res.Applied++
		case "failed":
			res.Failed++
			res.Success = false
		}
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "config_apply", Target: target.Addr(), ServerID: &serverID,
		Outcome: map[bool]string{true: "ok", false: "error"}[res.Success],
		Detail:  fmt.Sprintf("pack %s: %d applied, %d failed", pack.Name, res.Applied, res.Failed)})
	if res.Compliance, err = s.CheckPacks(ctx, actor, serverID, []*Pack{pack}); err != nil {
		res.Error = "the check after applying failed: " + homelabcmd.ErrorMessage(err)
	}
	res.FinishedAt = time.Now().UTC()
	return res, nil
}

func (s *Service) sysctlDir() string {
	if s.SysctlDir != "" {
		return s.SysctlDir
	}
	return "/etc/sysctl.d"
}

// applier changes one machine's items over one connection.
type applier struct {
	conn      *sshx.Conn
	sudo      sshx.Sudo
	sysctlDir string
}

// apply changes one out-of-line item; it returns the result and output.
func (a applier) apply(ctx context.Context, p *Pack, it PackItem) (string, string) {
	switch it.Type {
	case "file":
		i := slices.IndexFunc(p.Files, func(f PackFile) bool { return f.Path == it.Name })
		if i < 0 || p.Files[i].Content == nil {
			return "skipped", "the pack gives no content to write (only a hash or a mode)"
		}
		return a.writeFile(ctx, p.Files[i], *p.Files[i].Content)
	case "package":
		return a.root(ctx, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
			"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "--", it.Name)
	case "package_absent":
		return a.root(ctx, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "-q", "--", it.Name)
	case "unit":
		return a.root(ctx, "systemctl", "enable", "--", it.Name)
	case "sysctl":
		return a.root(ctx, "sysctl", "-w", it.Name+"="+p.Sysctl[it.Name])
	}
	return "skipped", "unknown item type " + it.Type
}

// root runs argv as root and turns its end into a result.
func (a applier) root(ctx context.Context, argv ...string) (string, string) {
	r, err := a.conn.RunSudo(ctx, a.sudo, itemOutputLimit, argv...)
	return outcome(r, err)
}

func outcome(r *sshx.Result, err error) (string, string) {
	if err != nil {
		return "failed", truncate(err.Error(), itemOutputLimit)
	}
	out := truncate(strings.TrimSpace(strings.TrimSpace(r.Stdout)+"\n"+strings.TrimSpace(r.Stderr)), itemOutputLimit)
	if r.ExitCode != 0 {
		return "failed", strings.TrimSpace(fmt.Sprintf("exit %d\n%s", r.ExitCode, out))
	}
	return "applied", out
}

// writeFile replaces f.Path with content atomically: content goes to a
// private staging file of the login user (mktemp, dd from stdin), is
// installed as root beside the target with its mode and owner, and renamed
// over it; a failure removes what it staged.
func (a applier) writeFile(ctx context.Context, f PackFile, content string) (string, string) {
	r, err := a.conn.Run(ctx, sshx.Command("mktemp"), 4096)
	if err != nil || r.ExitCode != 0 {
		return outcome(r, err)
	}
	staged := strings.TrimSpace(r.Stdout)
	if !filePathRE.MatchString(staged) {
		return "failed", "mktemp printed an unexpected path"
	}
	defer func() { _, _ = a.conn.Run(context.WithoutCancel(ctx), sshx.Command("rm", "-f", "--", staged), 4096) }()
	if r, err := a.conn.RunInput(ctx, sshx.Command("dd", "of="+staged, "status=none"), strings.NewReader(content), itemOutputLimit); err != nil || r.ExitCode != 0 {
		return outcome(r, err)
	}
	mode := f.Mode
	if mode == "" {
		mode = "0644"
	}
	next := path.Join(path.Dir(f.Path), "."+path.Base(f.Path)+".homelabcmd-new")
	argv := []string{"install", "-D", "-m", mode}
	if f.Owner != "" {
		user, group, ok := strings.Cut(f.Owner, ":")
		argv = append(argv, "-o", user)
		if ok {
			argv = append(argv, "-g", group)
		}
	}
	if res, out := a.root(ctx, append(argv, "-T", "--", staged, next)...); res != "applied" {
		return res, out
	}
	if res, out := a.root(ctx, "mv", "-f", "-T", "--", next, f.Path); res != "applied" {
		_, _ = a.root(context.WithoutCancel(ctx), "rm", "-f", "--", next)
		return res, out
	}
	return "applied", fmt.Sprintf("wrote %d bytes, mode %s", len(content), mode)
}

// ApplyQueue is the approval queue the hub keeps (hub.Engine and the store).
type ApplyQueue interface {
	ListActions(ctx context.Context, f homelabcmd.ActionFilter) ([]*homelabcmd.Action, int, error)
	ClaimHubActions(ctx context.Context, serverID, actionType string) ([]homelabcmd.PendingCommand, error)
	FinishHubAction(ctx context.Context, id int64, r homelabcmd.ActionResult, detail string) (*homelabcmd.Action, error)
}

// RunApprovedApplies carries out the approved pack applies (the hub's
// clock job): each is claimed (so one hub runs it), applied, its result
// kept and the action completed or failed. It returns how many ran.
func (s *Service) RunApprovedApplies(ctx context.Context, q ApplyQueue) (int, error) {
	list, _, err := q.ListActions(ctx, homelabcmd.ActionFilter{Status: homelabcmd.ActionApproved, ActionType: homelabcmd.ActionApplyConfigPack, Limit: 100})
	if err != nil {
		return 0, err
	}
	servers := map[string]bool{}
	n := 0
	for _, a := range list {
		if servers[a.ServerID] {
			continue
		}
		servers[a.ServerID] = true
		cmds, err := q.ClaimHubActions(ctx, a.ServerID, homelabcmd.ActionApplyConfigPack)
		if err != nil {
			return n, err
		}
		for _, c := range cmds {
			n++
			if err := s.runApply(ctx, q, a.ServerID, c); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// runApply carries out one claimed apply and records how it ended.
func (s *Service) runApply(ctx context.Context, q ApplyQueue, serverID string, c homelabcmd.PendingCommand) error {
	start := time.Now()
	name := homelabcmd.ApplyPackTarget(c.Command)
	finish := func(r homelabcmd.ActionResult, detail string) error {
		r.DurationMS = time.Since(start).Milliseconds()
		_, err := q.FinishHubAction(context.WithoutCancel(ctx), c.ActionID, r, detail)
		return err
	}
	pack := s.Pack(name)
	if pack == nil {
		return finish(homelabcmd.ActionResult{Error: "unknown pack " + name}, "unknown pack "+name)
	}
	actx, cancel := context.WithTimeout(ctx, time.Duration(c.TimeoutSeconds)*time.Second)
	defer cancel()
	res, err := s.ApplyPack(actx, "action:"+fmt.Sprint(c.ActionID), serverID, pack)
	if err != nil {
		msg := homelabcmd.ErrorMessage(err)
		res = &ApplyResult{ServerID: serverID, Pack: name, Items: []ApplyItem{}, Error: msg, FinishedAt: time.Now().UTC()}
	}
	res.ApplyID = c.ActionID
	if b, jerr := json.Marshal(res); jerr == nil {
		if perr := s.store.PutConfigApply(context.WithoutCancel(ctx), c.ActionID, serverID, name, b); perr != nil {
			s.logger.Error("config apply result not kept", "action", c.ActionID, "err", perr)
		}
	}
	if err != nil {
		return finish(homelabcmd.ActionResult{Error: res.Error, Stderr: res.Error}, "not applied: "+res.Error)
	}
	var b strings.Builder
	for _, it := range res.Items {
		fmt.Fprintf(&b, "%s %s: %s\n", it.Type, it.Name, it.Result)
		if it.Result == "failed" && it.Output != "" {
			fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(it.Output, "\n", "\n  "))
		}
	}
	detail := fmt.Sprintf("pack %s: %d applied, %d failed", name, res.Applied, res.Failed)
	if res.Compliance != nil {
		detail += fmt.Sprintf("; afterwards %d mismatches", res.Compliance.Mismatches)
	}
	exit := 0
	if !res.Success {
		exit = 1
	}
	return finish(homelabcmd.ActionResult{Success: res.Success, ExitCode: &exit, Stdout: b.String(), Stderr: res.Error, Error: detail}, detail)
}

// ApplyResultOf returns the kept result of apply action id on a server.
// ENOTFOUND when there is none (yet, or for another server).
func (s *Service) ApplyResultOf(ctx context.Context, serverID string, id int64) (*ApplyResult, error) {
	raw, err := s.store.ConfigApply(ctx, id)
	if err != nil {
		return nil, err
	}
	var r ApplyResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	if r.ServerID != serverID {
		return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Apply %d not found on server '%s'", id, serverID)
	}
	return &r, nil
}
