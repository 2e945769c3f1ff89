package promexport_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/promexport"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestCollector(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		plex := homelabcmd.NewExpectedService("nas", "plex")
		plex.IsCritical = true
		hb := &homelabcmd.Heartbeat{ServerID: "nas", Hostname: "nas", Timestamp: homelabcmd.Time{Time: time.Now()},
			Metrics: &homelabcmd.Metrics{CPUPercent: ptr(12.5), UptimeSeconds: ptr(int64(3600))},
			Services: []homelabcmd.ServiceReport{{Name: "plex", Status: homelabcmd.StatusFailed, Restarts: ptr(4)},
				{Name: "not-expected", Status: homelabcmd.StatusRunning}},
			// A container of the same name as a service: its own series.
			Containers: []homelabcmd.ContainerReport{{Name: "plex", State: "running", RestartCount: ptr(2)}}}
		if _, err := hub.New(db, nil, hub.Options{}).Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
			t.Fatal(err)
		}
		plexContainer := homelabcmd.NewExpectedService("nas", "plex")
		plexContainer.Kind = homelabcmd.KindContainer
		for _, s := range []*homelabcmd.ExpectedService{plex, homelabcmd.NewExpectedService("nas", "smbd"), plexContainer} {
			if err := db.CreateExpectedService(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		db.CreateAlert(ctx, &homelabcmd.Alert{ServerID: "nas", AlertType: homelabcmd.AlertService, Severity: homelabcmd.SeverityHigh,
			Title: "Service plex is failed", ServiceName: ptr("plex")})

		eng := hub.New(db, nil, hub.Options{})
		ck := &homelabcmd.Check{Name: "nas cert", Type: "tls", Target: "nas.lan:443", ServerIDs: []string{"nas"}, Enabled: true}
		if err := eng.CreateCheck(ctx, ck); err != nil {
			t.Fatal(err)
		}
		expiry := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		hb2 := &homelabcmd.Heartbeat{ServerID: "nas", Hostname: "nas", Timestamp: homelabcmd.Time{Time: time.Now()},
			CheckResults: []homelabcmd.CheckResult{{CheckID: ck.ID, Status: homelabcmd.CheckWarn, LatencyMS: ptr(250.0), CertExpiresAt: &expiry, CheckedAt: time.Now()}}}
		// The certificate warning opens a medium alert (counted below).
		if _, err := eng.Ingest(ctx, hb2, homelabcmd.IngestMeta{}); err != nil {
			t.Fatal(err)
		}

		c := promexport.NewCollector(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
			t.Fatalf("lint: %v %v", problems, err)
		}
		want := `
# HELP homelabcmd_service_up 1 when an enabled expected unit (kind systemd or container) reports running, else 0.
# TYPE homelabcmd_service_up gauge
homelabcmd_service_up{critical="false",kind="container",server="nas",service="plex"} 1
homelabcmd_service_up{critical="false",kind="systemd",server="nas",service="smbd"} 0
homelabcmd_service_up{critical="true",kind="systemd",server="nas",service="plex"} 0
# HELP homelabcmd_service_restarts_total The restart count of an expected unit (systemd's NRestarts, a container's RestartCount), as the agent last reported it.
# TYPE homelabcmd_service_restarts_total counter
homelabcmd_service_restarts_total{kind="container",server="nas",service="plex"} 2
homelabcmd_service_restarts_total{kind="systemd",server="nas",service="plex"} 4
# HELP homelabcmd_server_up 1 when the server is online (heartbeats arriving), else 0.
# TYPE homelabcmd_server_up gauge
homelabcmd_server_up{server="nas"} 1
# HELP homelabcmd_server_cpu_percent Latest CPU use of a server.
# TYPE homelabcmd_server_cpu_percent gauge
homelabcmd_server_cpu_percent{server="nas"} 12.5
# HELP homelabcmd_alerts_open Unresolved (open or acknowledged) alerts by severity.
# TYPE homelabcmd_alerts_open gauge
homelabcmd_alerts_open{severity="critical"} 0
homelabcmd_alerts_open{severity="high"} 1
homelabcmd_alerts_open{severity="low"} 0
homelabcmd_alerts_open{severity="medium"} 1
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(want), "homelabcmd_service_up", "homelabcmd_service_restarts_total",
			"homelabcmd_server_up", "homelabcmd_server_cpu_percent", "homelabcmd_alerts_open"); err != nil {
			t.Fatal(err)
		}
		checks := `
# HELP homelabcmd_check_up 1 when an agent's last result of an enabled check is up (or a certificate warning), else 0.
# TYPE homelabcmd_check_up gauge
homelabcmd_check_up{check="nas cert",server="nas",type="tls"} 1
# HELP homelabcmd_check_latency_seconds Latency of an agent's last result of an enabled check.
# TYPE homelabcmd_check_latency_seconds gauge
homelabcmd_check_latency_seconds{check="nas cert",server="nas",type="tls"} 0.25
# HELP homelabcmd_check_cert_expiry_timestamp_seconds When the certificate an agent's last tls or https check saw expires (Unix time).
# TYPE homelabcmd_check_cert_expiry_timestamp_seconds gauge
homelabcmd_check_cert_expiry_timestamp_seconds{check="nas cert",server="nas"} 1.7987616e+09
`
		if err := testutil.CollectAndCompare(c, strings.NewReader(checks), "homelabcmd_check_up", "homelabcmd_check_latency_seconds",
			"homelabcmd_check_cert_expiry_timestamp_seconds"); err != nil {
			t.Fatal(err)
		}
		// Only expected units get series: 3 units × 4 states.
		if n := testutil.CollectAndCount(c, "homelabcmd_service_state"); n != 12 {
			t.Fatalf("%d service_state series, want 12", n)
		}

		reg := prometheus.NewRegistry()
		m := promexport.NewHubMetrics(reg)
		m.HeartbeatStored("api_key", 3*time.Millisecond)
		m.HeartbeatRejected(422)
		if n := testutil.CollectAndCount(reg); n != 3 {
			t.Fatalf("hub metrics: %d series", n)
		}
	})
}
