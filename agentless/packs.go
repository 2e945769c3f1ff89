package agentless

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// Configuration packs: declarative YAML (files with content, hash or mode;
// packages present or absent; systemd units enabled; sysctl values),
// checked over SSH. Every value is validated when the pack is read and
// quoted when the check script is built.

//go:embed packs/*.yaml
var packFiles embed.FS

// Pack is one configuration pack.
type Pack struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description"`
	Packages    struct {
		Present []string `yaml:"present" json:"present"`
		Absent  []string `yaml:"absent" json:"absent"`
	} `yaml:"packages" json:"packages"`
	Units struct {
		Enabled []string `yaml:"enabled" json:"enabled"`
	} `yaml:"units" json:"units"`
	Sysctl map[string]string `yaml:"sysctl" json:"sysctl"`
	Files  []PackFile        `yaml:"files" json:"files"`
}

// PackFile is a file a pack expects: it exists, and optionally has this
// content, SHA-256 or mode.
type PackFile struct {
	Path    string  `yaml:"path" json:"path"`
	Content *string `yaml:"content" json:"content,omitempty"`
	SHA256  string  `yaml:"sha256" json:"sha256,omitempty"`
	Mode    string  `yaml:"mode" json:"mode,omitempty"`
	// Owner is user or user:group, set when the file is written by an
	// apply (the check does not compare it).
	Owner string `yaml:"owner" json:"owner,omitempty"`
}

var (
	packNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	packageRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]{0,99}$`)
	unitRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._:-]{0,199}$`)
	sysctlKeyRE = regexp.MustCompile(`^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$`)
	sysctlValRE = regexp.MustCompile(`^[A-Za-z0-9 ._:/-]{0,200}$`)
	fileModeRE  = regexp.MustCompile(`^[0-7]{3,4}$`)
	sha256RE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	filePathRE  = regexp.MustCompile(`^/[A-Za-z0-9._@+/-]{1,500}$`)
	ownerRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}(:[a-z_][a-z0-9_-]{0,31})?$`)
)

// ParsePack reads and validates a pack. EINVALID naming the bad item.
func ParsePack(data []byte) (*Pack, error) {
	var p Pack
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, homelabcmd.Errorf(homelabcmd.EINVALID, "pack is not valid YAML: %v", err)
	}
	bad := func(what, v string) error {
		return homelabcmd.Errorf(homelabcmd.EINVALID, "pack %s: bad %s %q", p.Name, what, v)
	}
	if !packNameRE.MatchString(p.Name) {
		return nil, bad("name", p.Name)
	}
	for _, n := range slices.Concat(p.Packages.Present, p.Packages.Absent) {
		if !packageRE.MatchString(n) {
			return nil, bad("package", n)
		}
	}
	for _, u := range p.Units.Enabled {
		if !unitRE.MatchString(u) {
			return nil, bad("unit", u)
		}
	}
	for k, v := range p.Sysctl {
		if !sysctlKeyRE.MatchString(k) || !sysctlValRE.MatchString(v) {
			return nil, bad("sysctl", k)
		}
	}
	for _, f := range p.Files {
		if !filePathRE.MatchString(f.Path) || path.Clean(f.Path) != f.Path {
			return nil, bad("file path", f.Path)
		}
		if f.Mode != "" && !fileModeRE.MatchString(f.Mode) {
			return nil, bad("file mode", f.Mode)
		}
		if f.Owner != "" && !ownerRE.MatchString(f.Owner) {
			return nil, bad("file owner", f.Owner)
		}
		if f.SHA256 != "" && !sha256RE.MatchString(f.SHA256) {
			return nil, bad("file sha256", f.SHA256)
		}
	}
	return &p, nil
}

// Packs returns the built-in packs by name.
var Packs = sync.OnceValue(func() map[string]*Pack {
	out := map[string]*Pack{}
	entries, _ := packFiles.ReadDir("packs")
	for _, e := range entries {
		data, _ := packFiles.ReadFile("packs/" + e.Name())
		p, err := ParsePack(data)
		if err != nil {
			panic(err) // built in: a test reads them all
		}
		out[p.Name] = p
	}
	return out
})

// PackItem is one checked item of a pack.
type PackItem struct {
	Pack      string `json:"pack"`
	Type      string `json:"type"` // package | package_absent | unit | sysctl | file
	Name      string `json:"name"`
	Expected  string `json:"expected"`
	Actual    string `json:"actual"`
	Compliant bool   `json:"compliant"`
}

// ConfigCheck is one check of a server against its packs.
type ConfigCheck struct {
	ID         int64      `json:"id"`
	ServerID   string     `json:"server_id"`
	Packs      []string   `json:"packs"`
	Compliant  bool       `json:"is_compliant"`
	Mismatches int        `json:"mismatch_count"`
	Items      []PackItem `json:"items"`
	CheckedAt  time.Time  `json:"checked_at"`
}

// ServerPacks returns the packs assigned to a server (base by default).
func (s *Service) ServerPacks(ctx context.Context, serverID string) ([]string, error) {
	if _, err := s.store.FindServer(ctx, serverID); err != nil {
		return nil, err
	}
	raw, err := s.store.RemoteSetting(ctx, "packs:"+serverID)
	if err != nil || raw == "" {
		return []string{"base"}, err
	}
	var out []string
	return out, json.Unmarshal([]byte(raw), &out)
}

// DriftReporter opens and resolves drift alerts (hub.Engine).
type DriftReporter interface {
	ReportDrift(ctx context.Context, serverID string, mismatches int, items string) error
}

// DriftEnabled reports whether a server's checks raise drift alerts (off
// unless turned on).
func (s *Service) DriftEnabled(ctx context.Context, serverID string) (bool, error) {
	v, err := s.store.RemoteSetting(ctx, "drift:"+serverID)
	return v == "on", err
}

// SetServerPacks assigns packs (nil keeps them) and turns drift detection
// on or off (nil keeps it); base is required (BASE_PACK_REQUIRED) and every
// name must exist (UNKNOWN_PACK).
func (s *Service) SetServerPacks(ctx context.Context, actor, serverID string, packs []string, drift *bool) ([]string, error) {
	if drift != nil {
		if _, err := s.store.FindServer(ctx, serverID); err != nil {
			return nil, err
		}
		v := ""
		if *drift {
			v = "on"
		}
		if err := s.store.PutRemoteSetting(ctx, "drift:"+serverID, v); err != nil {
			return nil, err
		}
		s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "drift_detection", Target: serverID, ServerID: &serverID, Detail: map[bool]string{true: "on", false: "off"}[*drift]})
	}
	if packs == nil {
		return s.ServerPacks(ctx, serverID)
	}
	if _, err := s.store.FindServer(ctx, serverID); err != nil {
		return nil, err
	}
	if !slices.Contains(packs, "base") {
		return nil, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Field: "packs", Message: "The base pack is required", Data: map[string]any{"code": "BASE_PACK_REQUIRED"}}
	}
	all := Packs()
	for _, p := range packs {
		if all[p] == nil {
			return nil, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Field: "packs", Message: "Unknown pack '" + p + "'", Data: map[string]any{"code": "UNKNOWN_PACK"}}
		}
	}
	packs = slices.Compact(slices.Sorted(slices.Values(packs)))
	b, _ := json.Marshal(packs)
	if err := s.store.PutRemoteSetting(ctx, "packs:"+serverID, string(b)); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "packs_set", Target: serverID, ServerID: &serverID, Detail: strings.Join(packs, ",")})
	return packs, nil
}

// checkScript builds the fixed-shape script for the packs: each value
// was validated by ParsePack and is quoted here.
func checkScript(packs []*Pack) string {
	var b strings.Builder
	for i, p := range packs {
		for j, f := range p.Files {
			fmt.Fprintf(&b, "echo @@file%d_%d; stat -c %%a -- %s 2>/dev/null && sha256sum -- %s 2>/dev/null; ", i, j, sshx.Quote(f.Path), sshx.Quote(f.Path))
		}
		for j, n := range slices.Concat(p.Packages.Present, p.Packages.Absent) {
			fmt.Fprintf(&b, "echo @@pkg%d_%d; dpkg-query -W -f='${Status}' -- %s 2>/dev/null; echo; ", i, j, sshx.Quote(n))
		}
		for j, u := range p.Units.Enabled {
			fmt.Fprintf(&b, "echo @@unit%d_%d; systemctl is-enabled -- %s 2>/dev/null; ", i, j, sshx.Quote(u))
		}
		for _, k := range sortedKeys(p.Sysctl) {
			fmt.Fprintf(&b, "echo @@sysctl%d_%s; sysctl -n -- %s 2>/dev/null; ", i, k, sshx.Quote(k))
		}
	}
	return b.String()
}

// evaluate compares the script's output with the packs.
func evaluate(packs []*Pack, out string) []PackItem {
	sec := map[string]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "@@"); ok {
			cur = name
			sec[cur] = ""
			continue
		}
		if cur != "" && strings.TrimSpace(line) != "" {
			sec[cur] += strings.TrimSpace(line) + "\n"
		}
	}
	var items []PackItem
	add := func(p *Pack, typ, name, expected, actual string, ok bool) {
		items = append(items, PackItem{Pack: p.Name, Type: typ, Name: name, Expected: expected, Actual: actual, Compliant: ok})
	}
	for i, p := range packs {
		for j, f := range p.Files {
			lines := strings.Split(strings.TrimSpace(sec["file"+strconv.Itoa(i)+"_"+strconv.Itoa(j)]), "\n")
			if len(lines) < 2 {
				add(p, "file", f.Path, "present", "missing", false)
				continue
			}
			mode := lines[0]
			sum, _, _ := strings.Cut(lines[1], " ")
			want, ok := []string{"present"}, true
			got := []string{"present"}
			if f.Mode != "" {
				want = append(want, "mode "+strings.TrimLeft(f.Mode, "0"))
				got = append(got, "mode "+strings.TrimLeft(mode, "0"))
				ok = ok && strings.TrimLeft(f.Mode, "0") == strings.TrimLeft(mode, "0")
			}
			wantSum := f.SHA256
			if f.Content != nil {
				h := sha256.Sum256([]byte(*f.Content))
				wantSum = hex.EncodeToString(h[:])
			}
			if wantSum != "" {
				want, got = append(want, "sha256 "+wantSum[:12]), append(got, "sha256 "+truncate(sum, 12))
				ok = ok && wantSum == sum
			}
			add(p, "file", f.Path, strings.Join(want, ", "), strings.Join(got, ", "), ok)
		}
		for j, n := range slices.Concat(p.Packages.Present, p.Packages.Absent) {
			installed := strings.Contains(sec["pkg"+strconv.Itoa(i)+"_"+strconv.Itoa(j)], "install ok installed")
			actual := map[bool]string{true: "installed", false: "not installed"}[installed]
			if j < len(p.Packages.Present) {
				add(p, "package", n, "installed", actual, installed)
			} else {
				add(p, "package_absent", n, "not installed", actual, !installed)
			}
		}
		for j, u := range p.Units.Enabled {
			state := strings.TrimSpace(sec["unit"+strconv.Itoa(i)+"_"+strconv.Itoa(j)])
			if state == "" {
				state = "not found"
			}
			add(p, "unit", u, "enabled", state, state == "enabled")
		}
		for _, k := range sortedKeys(p.Sysctl) {
			got := strings.Join(strings.Fields(sec["sysctl"+strconv.Itoa(i)+"_"+k]), " ")
			add(p, "sysctl", k, p.Sysctl[k], got, got == strings.Join(strings.Fields(p.Sysctl[k]), " "))
		}
	}
	return items
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckServer checks a server against its packs over SSH and keeps the
// result (the newest per server is the compliance state).
func (s *Service) CheckServer(ctx context.Context, actor, serverID string) (*ConfigCheck, error) {
	names, err := s.ServerPacks(ctx, serverID)
	if err != nil {
		return nil, err
	}
	all := Packs()
	var packs []*Pack
	for _, n := range names {
		if p := all[n]; p != nil {
			packs = append(packs, p)
		}
	}
	return s.CheckPacks(ctx, actor, serverID, packs)
}

// CheckPacks checks a server against the given packs over SSH and keeps
// the result as the server's compliance state.
func (s *Service) CheckPacks(ctx context.Context, actor, serverID string, packs []*Pack) (*ConfigCheck, error) {
	names := make([]string, len(packs))
	for i, p := range packs {
		names[i] = p.Name
	}
	target, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	conn, err := s.connect(ctx, actor, "config_check", target, serverID)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
	defer cancel()
	out, err := conn.Run(cctx, checkScript(packs), 1<<20)
	if err != nil {
		return nil, err
	}
	c := &ConfigCheck{ServerID: serverID, Packs: names, Items: evaluate(packs, out.Stdout)}
	c.Compliant = true
	for _, it := range c.Items {
		if !it.Compliant {
			c.Compliant = false
			c.Mismatches++
		}
	}
	items, err := json.Marshal(c.Items)
	if err != nil {
		return nil, err
	}
	rec := &homelabcmd.ConfigCheckRecord{ServerID: serverID, Packs: names, Compliant: c.Compliant, Mismatches: c.Mismatches, Items: items}
	if err := s.store.AddConfigCheck(ctx, rec); err != nil {
		return nil, err
	}
	c.ID, c.CheckedAt = rec.ID, rec.CheckedAt
	if on, err := s.DriftEnabled(ctx, serverID); err != nil {
		return nil, err
	} else if on && s.Drift != nil {
		var names []string
		for _, it := range c.Items {
			if !it.Compliant && len(names) < 5 {
				names = append(names, it.Type+" "+it.Name)
			}
		}
		if c.Mismatches > len(names) {
			names = append(names, fmt.Sprintf("and %d more", c.Mismatches-len(names)))
		}
		if err := s.Drift.ReportDrift(ctx, serverID, c.Mismatches, strings.Join(names, ", ")); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// CheckDrift checks every server with drift detection on (the scheduled
// job); a failure is audited and logged, and the others still run.
func (s *Service) CheckDrift(ctx context.Context) (checked int) {
	servers, err := s.store.ListServers(ctx)
	if err != nil {
		s.logger.Error("drift check: list servers", "err", err)
		return 0
	}
	for _, srv := range servers {
		if on, err := s.DriftEnabled(ctx, srv.ID); err != nil || !on {
			continue
		}
		if _, err := s.CheckServer(ctx, "drift-check", srv.ID); err != nil {
			s.logger.Warn("drift check failed", "server", srv.ID, "err", homelabcmd.ErrorMessage(err))
			continue
		}
		checked++
	}
	return checked
}

// Checks returns a server's kept checks, newest first. ENOTFOUND.
func (s *Service) Checks(ctx context.Context, serverID string, limit int) ([]*ConfigCheck, error) {
	if _, err := s.store.FindServer(ctx, serverID); err != nil {
		return nil, err
	}
	recs, err := s.store.ListConfigChecks(ctx, serverID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*ConfigCheck, 0, len(recs))
	for _, r := range recs {
		c := &ConfigCheck{ID: r.ID, ServerID: r.ServerID, Packs: r.Packs, Compliant: r.Compliant, Mismatches: r.Mismatches, CheckedAt: r.CheckedAt}
		if err := json.Unmarshal(r.Items, &c.Items); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// LastCheck returns a server's newest check. ENOTFOUND.
func (s *Service) LastCheck(ctx context.Context, serverID string) (*ConfigCheck, error) {
	list, err := s.Checks(ctx, serverID, 1)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Server '%s' has not been checked yet", serverID)
	}
	return list[0], nil
}

// Compliance summarises the newest check of every server.
func (s *Service) Compliance(ctx context.Context) ([]map[string]any, error) {
	servers, err := s.store.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, srv := range servers {
		row := map[string]any{"server_id": srv.ID, "display_name": srv.Name(), "status": "never_checked", "mismatch_count": 0, "checked_at": nil}
		if c, err := s.LastCheck(ctx, srv.ID); err == nil {
			row["status"] = map[bool]string{true: "compliant", false: "non_compliant"}[c.Compliant]
			row["mismatch_count"], row["checked_at"], row["packs"] = c.Mismatches, c.CheckedAt, c.Packs
		}
		out = append(out, row)
	}
	return out, nil
}
