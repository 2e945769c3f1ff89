package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Attack sizes: the review's reproduction of finding 1, bounded and on
// loopback only (the attacker dials from 127.0.0.2, the agent from
// 127.0.0.1).
const (
	attackHalfBodies = 400   // connections announcing a 1 MiB body and sending half
	attackIdleConns  = 20000 // idle TCP connects
	attackRSSLimit   = 100   // MiB
	halfBody         = 512 << 10
)

// TestAttackKeepsMemoryBounded is finding 1 as the review ran it: 400
// half-sent 1 MiB bodies to the unauthenticated routes took the hub from
// 28 MiB to 1,150 MiB, and 20,000 idle connects hit the fd limit and kept
// agents out. With the body limits and connection caps the hub's peak RSS
// stays under 100 MiB and an agent's heartbeat is answered meanwhile.
func TestAttackKeepsMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("attack test skipped in -short")
	}
	raiseFDLimit(t, attackHalfBodies+1000)
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	addr := strings.TrimPrefix(h.URL, "http://")
	pid := h.cmd.Process.Pid
	start := rssMiB(t, pid, "VmRSS")
	attacker := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}

	var mu sync.Mutex
	var held []net.Conn
	hold := func(c net.Conn) { mu.Lock(); held = append(held, c); mu.Unlock() }
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()

	// 1. Half-sent bodies.
	var wg sync.WaitGroup
	chunk := []byte(`{"api_key":"` + strings.Repeat("a", halfBody))
	for i := range attackHalfBodies {
		path := "/api/v1/auth/login"
		if i%2 == 1 {
			path = "/api/v1/agents/register/claim"
		}
		wg.Go(func() {
			c, err := attacker.Dial("tcp", addr)
			if err != nil {
				return
			}
			hold(c)
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, 1<<20)
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write(chunk[:halfBody])
		})
	}
	wg.Wait()
	time.Sleep(time.Second)
	afterBodies := rssMiB(t, pid, "VmRSS")

	// 2. Idle connects, in helper processes of 10,000 each (one process
	// may hold fewer sockets than that and the hub together).
	opened := 0
	for n := attackIdleConns; n > 0; n -= idlePerHelper {
		opened += startIdleHelper(t, addr, min(n, idlePerHelper))
	}

	// 3. Meanwhile an agent reports, from another address.
	hb := fmt.Sprintf(`{"server_id":"agent","hostname":"agent","timestamp":%q}`, time.Now().UTC().Format(time.RFC3339))
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/agents/heartbeat", strings.NewReader(hb))
	req.Header.Set("X-API-Key", testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	began := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	took := time.Since(began)
	status := 0
	if err == nil {
		status = resp.StatusCode
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	afterIdle := rssMiB(t, pid, "VmRSS")
	peak := rssMiB(t, pid, "VmHWM")
	t.Logf("hub RSS: %d MiB at start, %d MiB after %d half-sent bodies, %d MiB with %d idle connects (%d opened); peak %d MiB; an agent's heartbeat meanwhile: %d in %v (err %v)",
		start, afterBodies, attackHalfBodies, afterIdle, attackIdleConns, opened, peak, status, took.Round(time.Millisecond), err)
	if peak >= attackRSSLimit {
		t.Errorf("peak RSS %d MiB, want under %d MiB", peak, attackRSSLimit)
	}
	if status != 200 || took > 2*time.Second {
		t.Errorf("an agent's heartbeat during the attack: status %d after %v (%v), want 200 within 2 s", status, took, err)
	}
}

// rssMiB reads a memory field (VmRSS, VmHWM) of a process, in MiB.
func rssMiB(t *testing.T, pid int, field string) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb / 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// raiseFDLimit lets this process hold n sockets (root may raise the hard
// limit; otherwise the test skips when the limit is too low).
func raiseFDLimit(t *testing.T, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	if lim.Cur >= n {
		return
	}
	want := lim
	want.Cur = n
	if want.Max < n {
		want.Max = n
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		want = lim
		want.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) != nil || lim.Max < n {
			t.Skipf("the file descriptor limit (%d) is too low for %d connections", lim.Max, n)
		}
	}
}

// idlePerHelper is how many idle connections one helper process holds.
const idlePerHelper = 10000

// startIdleHelper runs this test binary as a helper that opens n idle
// connections to addr from 127.0.0.2 and holds them until the test ends;
// it returns how many it opened.
func startIdleHelper(t *testing.T, addr string, n int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleConnectHelper$")
	cmd.Env = append(os.Environ(), "HOMELAB_IDLE_HELPER="+addr+","+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "opened "); ok {
			got, _ := strconv.Atoi(v)
			return got
		}
	}
	t.Fatalf("idle helper ended without a count")
	return 0
}

// TestIdleConnectHelper is the helper process of startIdleHelper; it does
// nothing in a normal run.
func TestIdleConnectHelper(t *testing.T) {
	spec := os.Getenv("HOMELAB_IDLE_HELPER")
	if spec == "" {
		t.Skip("helper process only")
	}
	addr, count, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(count)
	raiseFDLimit(t, uint64(n+500))
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	var mu sync.Mutex
	var held []net.Conn
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	for range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if c, err := d.Dial("tcp", addr); err == nil {
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	fmt.Printf("opened %d\n", len(held))
	io.Copy(io.Discard, os.Stdin) // hold until the parent closes stdin
	for _, c := range held {
		c.Close()
	}
}
