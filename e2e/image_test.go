package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// docker runs the docker CLI and returns its trimmed output.
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// The container image, built FROM scratch out of the release: the hub
// answers on the host network, passes its HEALTHCHECK as a non-root user,
// serves the dashboard and every architecture's agent, and an agent
// container (the host's /proc read-only) reports to it. Runs when
// HOMELAB_TEST_DOCKER is set and a Docker daemon answers (CI starts one).
func TestContainerImage(t *testing.T) {
	if os.Getenv("HOMELAB_TEST_DOCKER") == "" {
		t.Skip("set HOMELAB_TEST_DOCKER=1 (and HOMELAB_TEST_RELEASE=1) with a running dockerd to test the image (CI does)")
	}
	dist, _ := releaseDist(t)
	if out, err := docker(t, "info"); err != nil {
		t.Fatalf("docker info: %v\n%s", err, out)
	}
	name := fmt.Sprintf("homelabcmd-e2e-%d", time.Now().UnixNano())
	build := exec.Command("../scripts/image", dist)
	build.Env = append(os.Environ(), "IMAGE="+name)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/image: %v\n%s", err, out)
	}
	image := name + ":latest"
	t.Cleanup(func() {
		docker(t, "rm", "-f", "-v", name+"-hub", name+"-agent")
		// By tag: an identical image under another name keeps its tags.
		out, _ := docker(t, "images", "--format", "{{.Repository}}:{{.Tag}}", name)
		for _, tag := range strings.Fields(out) {
			docker(t, "rmi", tag)
		}
	})
	if user, _ := docker(t, "image", "inspect", "--format", "{{.Config.User}}", image); user != "65532:65532" {
		t.Fatalf("image user %q, want non-root 65532:65532", user)
	}

	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if out, err := docker(t, "run", "-d", "--name", name+"-hub", "--network", "host", "--health-interval", "1s",
		"-e", "HOMELAB_CMD_HOST=127.0.0.1", "-e", fmt.Sprintf("HOMELAB_CMD_PORT=%d", port), "-e", "HOMELAB_CMD_API_KEY="+testAPIKey, image); err != nil {
		t.Fatalf("docker run hub: %v\n%s", err, out)
	}
	logs := func() string { out, _ := docker(t, "logs", name+"-hub"); return out }
	var health string
	for deadline := time.Now().Add(60 * time.Second); health != "healthy"; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hub container's HEALTHCHECK says %q after 60s:\n%s", health, logs())
		}
		health, _ = docker(t, "inspect", "--format", "{{.State.Health.Status}}", name+"-hub")
	}
	if !strings.Contains(logs(), "path=/data/homelab.db") {
		t.Errorf("the database is not /data/homelab.db:\n%s", logs())
	}
	page, resp := fetch(t, url+"/")
	h, _ := fetch(t, url+"/api/v1/system/health")
	version := string(h)
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<span id="hub-version">`) || strings.Contains(version, homelabcmd.Version) {
		t.Fatalf("dashboard %d, health %s (want the release version, not %s)", resp.StatusCode, version, homelabcmd.Version)
	}
	sums, _ := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	for _, arch := range []string{"arm64", "armv7"} {
		body, _ := fetch(t, url+"/api/v1/agents/download/"+arch)
		if !strings.Contains(string(sums), sha256Hex(body)+"  homelabcmd-agent-linux-"+arch) {
			t.Fatalf("the image serves a %s agent not in SHA256SUMS", arch)
		}
		checkELF(t, arch, body, arch)
	}

	if out, err := docker(t, "run", "-d", "--name", name+"-agent", "--network", "host", "--entrypoint", "/usr/local/bin/homelabcmd-agent", "-v", "/proc:/host/proc:ro",
		"-e", "HOST_PROC=/host/proc", "-e", "HOMELAB_CMD_AGENT_HUB_URL="+url, "-e", "HOMELAB_CMD_AGENT_SERVER_ID=docker-host",
		"-e", "HOMELAB_CMD_AGENT_API_KEY="+testAPIKey, "-e", "HOMELAB_CMD_AGENT_OUTBOX_DIR=/data/outbox",
		"-e", "HOMELAB_CMD_AGENT_HEARTBEAT_INTERVAL=5", image); err != nil {
		t.Fatalf("docker run agent: %v\n%s", err, out)
	}
	var srv struct {
		Status       string  `json:"status"`
		AgentVersion *string `json:"agent_version"`
		CPUCores     *int    `json:"cpu_cores"`
	}
	for deadline := time.Now().Add(60 * time.Second); srv.Status != "online"; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			out, _ := docker(t, "logs", name+"-agent")
			t.Fatalf("the agent container did not report within 60s: %+v\n%s", srv, out)
		}
		api(t, "GET", url+"/api/v1/servers/docker-host", "", &srv)
	}
	if srv.AgentVersion == nil || *srv.AgentVersion == homelabcmd.Version || srv.CPUCores == nil {
		t.Fatalf("agent report: %+v", srv)
	}
	docker(t, "rm", "-f", "-v", name+"-hub", name+"-agent")
	t.Run("compose", func(t *testing.T) { testComposeFile(t, name, image) })
}

// testComposeFile runs the repository's compose.yaml as a user would
// (`docker compose --profile agent up -d`), with the image under test and a
// free port: the hub gets healthy and the agent on the Docker host reports
// to it. Both use the host's network, so no bridge network is created.
func testComposeFile(t *testing.T, project, image string) {
	compose := []string{"docker", "compose"}
	if _, err := docker(t, "compose", "version"); err != nil {
		if _, err := exec.LookPath("docker-compose"); err != nil {
			t.Fatal("neither `docker compose` nor docker-compose is installed (.ci/run installs Debian's docker-compose)")
		}
		compose = []string{"docker-compose"}
	}
	port := freePort(t)
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		args = append(append(compose[1:], "-f", "../compose.yaml", "-p", project, "--profile", "agent"), args...)
		cmd := exec.CommandContext(ctx, compose[0], args...)
		cmd.Env = append(os.Environ(), "HOMELAB_IMAGE="+image, fmt.Sprintf("HOMELAB_PORT=%d", port), "HOMELAB_HOST=127.0.0.1",
			"HOMELAB_API_KEY="+testAPIKey, "HOMELAB_DOCKER_HOST_ID=compose-host")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { run("down", "-v") })
	if out, err := run("up", "-d"); err != nil {
		t.Fatalf("compose up: %v\n%s", err, out)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	var srv struct {
		Status string `json:"status"`
	}
	for deadline := time.Now().Add(60 * time.Second); srv.Status != "online"; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			out, _ := run("logs")
			t.Fatalf("compose: the agent did not report to the hub within 60s: %+v\n%s", srv, out)
		}
		api(t, "GET", url+"/api/v1/servers/compose-host", "", &srv)
	}
	if page, resp := fetch(t, url+"/"); resp.StatusCode != 200 || !strings.Contains(string(page), `<span id="hub-version">`) {
		t.Fatalf("compose: dashboard %d", resp.StatusCode)
	}
	if out, _ := docker(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(out, project) {
		t.Fatalf("compose created a network: %s", out)
	}
}
