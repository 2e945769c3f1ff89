package httpapi

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Finding 1: one machine took every connection slot from the agents. Past
// the per-address cap, a new connection from that address is closed at once.
func TestListenerCapsEachAddress(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Loopback is exempt in a hub (a reverse proxy on the same machine);
	// here it stands for a remote client.
	ln := newLimitListener(inner, 100, 2, func(netip.Addr) bool { return false })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(ln)
	defer srv.Close()
	addr := inner.Addr().String()
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond)
	ask := func() string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return ""
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	if got := ask(); got != "" {
		t.Fatalf("a third connection from one address was served: %q", got)
	}
	if ln.refused.Load() == 0 {
		t.Fatal("the refusal was not counted")
	}
	held[0].Close()
	time.Sleep(100 * time.Millisecond)
	if got := ask(); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("after one closed: %q", got)
	}
	held[1].Close()
}
