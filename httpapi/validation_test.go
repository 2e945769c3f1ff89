package httpapi_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// Finding 3: a heartbeat with more than 2,978 services failed with 500
// "too many SQL variables" after holding SQLite's writer for seconds (and
// the agent retried the 5xx forever). Now: a clear 422 naming the field.
func TestHeartbeatServicesCapped(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		many := make([]map[string]any, 3000)
		for i := range many {
			many[i] = svc(fmt.Sprintf("unit-%04d", i), "running")
		}
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", hb("big", time.Now(), many...)), "body.services")
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("big", time.Now(), many[:500]...)), 200)
	})
}

// Finding 6: NUL in names and integers of 2^31 and more were stored by
// SQLite and gave 500 on PostgreSQL. One validation now refuses them on
// both engines with 422; service names follow the unit-name rules.
func TestEnginesAgreeOnInput(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		now := time.Now()
		withHost := hb("nas", now)
		withHost["hostname"] = "nas\x00evil"
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", withHost), "body.hostname")
		ansi := hb("nas", now)
		ansi["hostname"] = "nas\x1b[31m"
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", ansi), "body.hostname")
		bidi := hb("nas", now)
		bidi["hostname"] = "nas\u202egpj.exe"
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", bidi), "body.hostname")

		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, svc("plex\x00", "running"))), "body.services.0.name")
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, svc("rm -rf /", "running"))), "body.services.0.name")

		big := hb("nas", now)
		big["metrics"] = map[string]any{"memory_total_mb": int64(math.MaxInt32) + 1}
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", big), "body.metrics.memory_total_mb")
		pid := svc("plex", "running")
		pid["pid"] = int64(1) << 31
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, pid)), "body.services.0.pid")
		upd := hb("nas", now)
		upd["updates_available"] = int64(1) << 40
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", upd), "body.updates_available")

		// Descriptive text is cleaned, not refused: one odd string must not
		// cost a machine its heartbeats.
		odd := hb("nas", now, map[string]any{"name": "plex", "status": "failed", "status_reason": "bad\x1b[2J\u202eexit\x00"})
		odd["os_info"] = map[string]any{"distribution": "Debian\x00", "version": "12", "kernel": "6.1", "architecture": "x86_64"}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", odd), 200)
		srv := a.op("GET", "/api/v1/servers/nas", nil)
		expectStatus(t, srv, 200)
		if strings.ContainsAny(string(srv.Body), "\x00\x1b\u202e") || strings.Contains(string(srv.Body), `\u0000`) || strings.Contains(string(srv.Body), `\u001b`) {
			t.Fatalf("control characters were stored: %s", srv.Body)
		}

		// Operator input too.
		expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "pi", "hostname": "pi", "display_name": "Pi\x00"}), "body.display_name")
		expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "pi", "hostname": "pi", "tdp_watts": int64(1) << 32}), "body.tdp_watts")
		expectFieldError(t, a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "a\x00b", "type": "ntfy", "config": map[string]any{"topic": "t"}}), "body.name")
	})
}
