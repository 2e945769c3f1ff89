package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Finding 3: one heartbeat's services went into one INSERT, and past 2,978
// services SQLite refused it ("too many SQL variables"). The store splits
// the rows under the limit (the API caps a heartbeat at 500 services; the
// store must not depend on that).
func TestServiceInsertsChunked(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		var reports []homelabcmd.ServiceReport
		for i := range 4000 {
			reports = append(reports, report(fmt.Sprintf("unit-%04d", i), homelabcmd.StatusRunning))
		}
		hb := heartbeat("big", time.Now().UTC(), reports...)
		err := db.inTx(ctx, func(tx *Tx) error {
			_, err := tx.SaveHeartbeat(ctx, hb, homelabcmd.IngestMeta{})
			return err
		})
		if err != nil {
			t.Fatalf("4,000 services: %v", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM service_current_status WHERE server_id = 'big'`); n != 4000 {
			t.Fatalf("%d current rows", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE server_id = 'big'`); n != 4000 {
			t.Fatalf("%d history rows", n)
		}
	})
}

// Finding 8: heartbeats older than the rollup's 6 h redo window (an
// agent's outbox replayed after a day offline) never reached the hourly
// rollup. Every hour that received a late sample is computed again.
func TestRollupRedoesHoursWithLateData(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		now := time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		ingest := func(ts time.Time, cpu float64) {
			t.Helper()
			hb := heartbeat("nas", ts)
			hb.Metrics.CPUPercent = &cpu
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
		}
		dayAgo := now.Add(-24 * time.Hour).Truncate(time.Hour) // 2026-11-25 12:00
		ingest(dayAgo.Add(10*time.Minute), 10)
		ingest(now.Add(-2*time.Hour), 50)
		if err := db.Rollup(ctx); err != nil {
			t.Fatal(err)
		}
		hourAvg := func(h time.Time) (float64, int) {
			pts, err := db.MetricsTier(ctx, "nas", "hourly", h, h)
			if err != nil || len(pts) != 1 {
				t.Fatalf("hourly point at %v: %v %v", h, pts, err)
			}
			return *pts[0].CPUPercent, countRows(t, db, `SELECT sample_count FROM metrics_hourly WHERE timestamp = $1`, h)
		}
		if avg, n := hourAvg(dayAgo); avg != 10 || n != 1 {
			t.Fatalf("before: avg %v of %d", avg, n)
		}
		// The outbox of an agent that was offline delivers that hour late.
		now = now.Add(time.Hour)
		ingest(dayAgo.Add(40*time.Minute), 30)
		if err := db.Rollup(ctx); err != nil {
			t.Fatal(err)
		}
		if avg, n := hourAvg(dayAgo); avg != 20 || n != 2 {
			t.Fatalf("the late sample did not reach its hour: avg %v of %d samples, want 20 of 2", avg, n)
		}
		days, _ := db.MetricsTier(ctx, "nas", "daily", dayAgo.Truncate(24*time.Hour), dayAgo.Truncate(24*time.Hour))
		if len(days) != 1 || *days[0].CPUPercent != 20 {
			t.Fatalf("daily rollup of the late day: %+v", days)
		}
	})
}

// Finding 8: a registration token adopted an existing server (one without
// an agent credential) on the claimer's say-so. Now only a token made with
// allow_existing may.
func TestClaimRefusesExistingServerUnlessAllowed(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "nas")
		tok := &homelabcmd.RegistrationToken{}
		if err := db.CreateRegistrationToken(ctx, tok, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimRegistrationToken(ctx, tok.Token, "nas", "nas"); homelabcmd.ErrorCode(err) != homelabcmd.EBADREQUEST {
			t.Fatalf("claim of an existing server without allow_existing: %v", err)
		}
		// The refused claim did not spend the token: a new server is fine.
		if c, err := db.ClaimRegistrationToken(ctx, tok.Token, "garage-pi", "garage-pi"); err != nil || c.ServerID != "garage-pi" {
			t.Fatalf("claim of a new server: %v %v", c, err)
		}
		allow := &homelabcmd.RegistrationToken{AllowExisting: true}
		if err := db.CreateRegistrationToken(ctx, allow, time.Hour); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.PendingRegistrationTokens(ctx); len(list) != 1 || !list[0].AllowExisting {
			t.Fatalf("pending tokens %+v", list)
		}
		if c, err := db.ClaimRegistrationToken(ctx, allow.Token, "nas", "nas"); err != nil || c.ServerID != "nas" || c.AgentToken == "" {
			t.Fatalf("claim with allow_existing: %v %v", c, err)
		}
	})
}

// Finding 5: a session opened with the operator key is valid only with the
// credential that made it; a user's session does not depend on the key.
func TestSessionBoundToCredential(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		tok, err := db.CreateSession(ctx, time.Hour, 0, "cred-a")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := db.SessionPrincipal(ctx, tok, "cred-a"); p == nil || err != nil {
			t.Fatalf("own credential: %v %v", p, err)
		}
		if p, _ := db.SessionPrincipal(ctx, tok, "cred-b"); p != nil {
			t.Fatal("a session made with one key is valid with another")
		}
		u, err := db.CreateUser(ctx, "ann", homelabcmd.RoleViewer, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")
		if err != nil {
			t.Fatal(err)
		}
		ut, _ := db.CreateSession(ctx, time.Hour, u.ID, "cred-a")
		if p, _ := db.SessionPrincipal(ctx, ut, "cred-b"); p == nil || p.Name != "ann" {
			t.Fatalf("a user's session after a key change: %v", p)
		}
	})
}
