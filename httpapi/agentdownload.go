package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// AgentArchs are the architectures a release builds the agent for, in the
// names of its files (homelabcmd-agent-linux-<arch>) and of the download
// route; "arm" is accepted for "armv7".
var AgentArchs = []string{"amd64", "arm64", "armv7"}

// agentFile is a binary the hub serves to agents, with its checksum.
type agentFile struct {
	path, name, sha256 string
}

// agentFiles finds agent binaries and caches their checksums by path, size
// and modification time, so a replaced file is hashed again.
type agentFiles struct {
	mu    sync.Mutex
	cache map[string]cachedSum
}

type cachedSum struct {
	size int64
	mod  time.Time
	sum  string
}

// hubArch is this hub's own architecture in the download route's names.
func hubArch() string {
	if runtime.GOARCH == "arm" {
		return "armv7"
	}
	return runtime.GOARCH
}

// agentBinary is the binary to serve for arch: the slim agent
// homelabcmd-agent-linux-<arch> from AgentsDir (by default the folder of the
// hub's executable, where a release keeps them), else the hub's own binary
// when arch is the hub's. ENOTFOUND names what is missing.
func (s *Server) agentBinary(arch string) (*agentFile, error) {
	if arch == "arm" {
		arch = "armv7"
	}
	known := false
	for _, a := range AgentArchs {
		known = known || a == arch
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir := s.AgentsDir
	if dir == "" {
		dir = filepath.Dir(exe)
	}
	if known {
		name := "homelabcmd-agent-linux-" + arch
		if f, err := s.agents.file(filepath.Join(dir, name), name); err == nil {
			return f, nil
		}
		if arch == hubArch() && runtime.GOOS == "linux" {
			return s.agents.file(exe, "homelabcmd")
		}
	}
	// The folder is logged, not told to anonymous callers.
	s.logger.Info("no agent binary for an architecture", "arch", arch, "agents_dir", dir)
	return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND,
		"This hub has no agent binary for linux/%s: put homelabcmd-agent-linux-%s from a release (amd64, arm64, armv7) into the hub's agents_dir (default: the folder of its executable)", arch, arch)
}

// file returns path with its SHA-256, hashing it only when it changed.
func (c *agentFiles) file(path, name string) (*agentFile, error) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("no agent binary at %s", path)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs, ok := c.cache[path]; ok && cs.size == st.Size() && cs.mod.Equal(st.ModTime()) {
		return &agentFile{path: path, name: name, sha256: cs.sum}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if c.cache == nil {
		c.cache = map[string]cachedSum{}
	}
	c.cache[path] = cachedSum{size: st.Size(), mod: st.ModTime(), sum: sum}
	return &agentFile{path: path, name: name, sha256: sum}, nil
}

// handleDownloadAgent serves the agent binary for an architecture, its
// SHA-256 in the X-Checksum-Sha256 header and its file name in
// Content-Disposition (homelabcmd-agent-linux-<arch> for the slim agent,
// homelabcmd for the hub's own binary).
func (s *Server) handleDownloadAgent(w http.ResponseWriter, r *http.Request) {
	f, err := s.agentBinary(r.PathValue("arch"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// A 30 MB binary to a Raspberry Pi on Wi-Fi can take longer than the
	// server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(15 * time.Minute))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.name+`"`)
	w.Header().Set("X-Checksum-Sha256", f.sha256)
	http.ServeFile(w, r, f.path)
}

// handleAgentChecksum answers one line in sha256sum's format: the checksum
// and file name of what the download route serves for the architecture.
func (s *Server) handleAgentChecksum(w http.ResponseWriter, r *http.Request) {
	f, err := s.agentBinary(r.PathValue("arch"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s  %s\n", f.sha256, f.name)
}
