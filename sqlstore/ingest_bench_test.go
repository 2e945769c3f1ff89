package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// benchHeartbeat is a realistic heartbeat: 20 services, metrics, disks, NICs.
func benchHeartbeat(server int, ts time.Time, services int) *homelabcmd.Heartbeat {
	hb := heartbeat(fmt.Sprintf("bench-%04d", server), ts)
	for j := range services {
		hb.Services = append(hb.Services, report(fmt.Sprintf("service-%02d", j), homelabcmd.StatusRunning))
	}
	hb.Filesystems = []homelabcmd.Filesystem{{MountPoint: "/", Device: "/dev/sda1", FSType: "ext4", TotalBytes: 1e12, UsedBytes: 4e11, AvailableBytes: 6e11, Percent: 40}}
	hb.NetworkInterfaces = []homelabcmd.NetworkInterface{{Name: "eth0", IsUp: true}}
	return hb
}

// BenchmarkIngest stores heartbeats with 20 services each from many
// concurrent agents through the group-commit path, on a SQLite file.
// Reports heartbeats/s and service rows/s.
func BenchmarkIngest(b *testing.B) {
	sqlite := func(b *testing.B) string { return "sqlite:///" + filepath.Join(b.TempDir(), "bench.db") }
	postgres := func(b *testing.B) string { return storetest.NewURL(b, "postgres") }
	b.Run("history=every", func(b *testing.B) { benchIngest(b, sqlite(b), 0) })
	b.Run("history=10m", func(b *testing.B) { benchIngest(b, sqlite(b), 10*time.Minute) })
	b.Run("postgres/history=10m", func(b *testing.B) { benchIngest(b, postgres(b), 10*time.Minute) })
	b.Run("postgres-3hubs/history=10m", func(b *testing.B) { benchIngestHubs(b, postgres(b), 3, 10*time.Minute) })
}

// benchIngest runs the ingest benchmark with a history sample interval
// (0: a history row per service per heartbeat). On SQLite it also reports
// the rows written per heartbeat (total_changes of the one writer
// connection: inserts, updates and deletes, index entries not counted).
func benchIngest(b *testing.B, dbURL string, sampleEvery time.Duration) {
	benchIngestHubs(b, dbURL, 1, sampleEvery)
}

// benchIngestHubs is benchIngest with several hubs (stores, each with its
// own engine and group-commit writers) on one database; a server always
// reports to the same hub, as behind a load balancer with sticky sessions.
func benchIngestHubs(b *testing.B, dbURL string, hubs int, sampleEvery time.Duration) {
	db := mustOpen(b, dbURL, true)
	engines := make([]*hub.Engine, hubs)
	for i := range engines {
		h := db
		if i > 0 {
			h = mustOpen(b, dbURL, false)
		}
		h.HistorySampleEvery = sampleEvery
		engines[i] = engine(h)
	}
	e := engines[0]
	ctx := context.Background()
	const servers = 200
	var seq atomic.Int64
	t0 := time.Now().UTC()
	b.SetParallelism(64) // many agents in flight, as in a fleet
	// Each server's first heartbeat registers it, one at a time: on
	// PostgreSQL two first heartbeats of one server in parallel
	// transactions would both insert it, and one agent never sends them so.
	for i := range servers {
		if _, err := e.Ingest(ctx, benchHeartbeat(i, t0.Add(-time.Second), 20), homelabcmd.IngestMeta{}); err != nil {
			b.Fatal(err)
		}
	}
	changes := func() int64 {
		var n int64
		if db.loc.Engine == SQLite {
			_ = db.write.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&n)
		}
		return n
	}
	b.ResetTimer()
	start, cpu0, changes0 := time.Now(), cpuTime(), changes()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			hb := benchHeartbeat(int(n%servers), t0.Add(time.Duration(n)*time.Millisecond), 20)
			if _, err := engines[int(n%servers)%hubs].Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/el, "heartbeats/s")
	b.ReportMetric(float64(b.N*20)/el, "service-rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/heartbeat")
	if db.loc.Engine == SQLite {
		b.ReportMetric(float64(changes()-changes0)/float64(b.N), "row-writes/heartbeat")
	}
}

// cpuTime is the CPU time (user and system) the process has used so far: on
// a shared machine it moves less than the wall-clock rate does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBareInsert is the ceiling to compare ingest with: the same driver
// inserting service_status rows in a plain loop, 1,000 rows per transaction
// through one prepared statement.
func BenchmarkBareInsert(b *testing.B) {
	db := mustOpen(b, "sqlite:///"+filepath.Join(b.TempDir(), "bare.db"), true)
	ctx := context.Background()
	mustCreateServer(b, db, "bare")
	t0 := time.Now().UTC()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO service_status (server_id, service_name, status, pid, memory_mb, cpu_percent, timestamp)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`)
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 1000 && i < b.N; j, i = j+1, i+1 {
			if _, err := stmt.ExecContext(ctx, "bare", "service-"+strings.Repeat("x", i%3), "running", 1234, 512.0, 2.5, t0.Add(time.Duration(i))); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/row")
}
