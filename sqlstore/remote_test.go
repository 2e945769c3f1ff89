package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestSSHCredentialsAndPins(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustCreateServer(t, db, "web1")
		// The default and a server's own credential of one type coexist;
		// putting again replaces.
		for _, c := range []struct{ server, sealed string }{{"", "d1"}, {"web1", "s1"}, {"", "d2"}} {
			if _, err := db.PutSSHCredential(ctx, c.server, homelabcmd.CredSSHPassword, c.sealed, "admin"); err != nil {
				t.Fatal(err)
			}
		}
		for server, want := range map[string]string{"": "d2", "web1": "s1"} {
			if got, err := db.SealedSSHCredential(ctx, server, homelabcmd.CredSSHPassword); err != nil || got != want {
				t.Fatalf("%q: %q %v", server, got, err)
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM ssh_credentials`); n != 2 {
			t.Fatalf("%d rows", n)
		}
		if _, err := db.SealedSSHCredential(ctx, "web1", homelabcmd.CredSSHPrivateKey); !homelabcmd.IsNotFound(err) {
			t.Fatalf("missing key: %v", err)
		}
		if _, err := db.PutSSHCredential(ctx, "ghost", homelabcmd.CredSSHPassword, "x", "admin"); !homelabcmd.IsNotFound(err) {
			t.Fatalf("unknown server: %v", err)
		}
		list, err := db.ListSSHCredentials(ctx, "web1")
		if err != nil || len(list) != 1 || *list[0].ServerID != "web1" {
			t.Fatalf("list %v %v", list, err)
		}
		if err := db.PutSSHTarget(ctx, homelabcmd.SSHTarget{ServerID: "web1", Host: "10.0.0.5", Port: 22, Username: "root"}); err != nil {
			t.Fatal(err)
		}
		// Deleting the server removes its credential and target, not the default.
		if err := db.DeleteServer(ctx, "web1"); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM ssh_credentials`); n != 1 {
			t.Fatalf("%d rows after delete", n)
		}
		if _, err := db.SSHTarget(ctx, "web1"); !homelabcmd.IsNotFound(err) {
			t.Fatalf("target survived: %v", err)
		}
		if err := db.DeleteSSHCredential(ctx, "", homelabcmd.CredSSHPassword); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSSHCredential(ctx, "", homelabcmd.CredSSHPassword); !homelabcmd.IsNotFound(err) {
			t.Fatalf("second delete: %v", err)
		}

		k := homelabcmd.HostKey{Addr: "10.0.0.5:22", KeyType: "ssh-ed25519", Fingerprint: "SHA256:x", Key: []byte{1, 2, 3}}
		if got, err := db.PinnedHostKey(ctx, k.Addr); err != nil || got != nil {
			t.Fatalf("before: %v %v", got, err)
		}
		if err := db.PinHostKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := db.PinHostKey(ctx, k); !homelabcmd.IsConflict(err) {
			t.Fatalf("second pin: %v", err)
		}
		if got, err := db.PinnedHostKey(ctx, k.Addr); err != nil || string(got) != "\x01\x02\x03" {
			t.Fatalf("pinned %v %v", got, err)
		}
		if err := db.DeleteHostKey(ctx, k.Addr); err != nil {
			t.Fatal(err)
		}
	})
}

func TestScansDiscoveriesAudit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := &homelabcmd.Scan{Hostname: "10.0.0.5", Port: 22, Username: "root", ScanType: "quick", RequestedBy: "admin"}
		if err := db.CreateScan(ctx, s); err != nil || s.ID == 0 || s.Status != homelabcmd.ScanRunning {
			t.Fatalf("%+v %v", s, err)
		}
		if err := db.FinishScan(ctx, s.ID, json.RawMessage(`{"os":{"name":"Debian"}}`), "SHA256:x", ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindScan(ctx, s.ID)
		if err != nil || got.Status != homelabcmd.ScanCompleted || string(got.Results) != `{"os":{"name":"Debian"}}` || got.CompletedAt == nil {
			t.Fatalf("%+v %v", got, err)
		}
		list, total, err := db.ListScans(ctx, 10, 0)
		if err != nil || total != 1 || len(list) != 1 {
			t.Fatalf("%d %v", total, err)
		}
		if err := db.DeleteScan(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindScan(ctx, s.ID); !homelabcmd.IsNotFound(err) {
			t.Fatalf("after delete: %v", err)
		}

		d := &homelabcmd.Discovery{Subnet: "10.0.0.0/30", RequestedBy: "admin"}
		if err := db.CreateDiscovery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if latest, err := db.LatestDiscovery(ctx); err != nil || latest != nil {
			t.Fatalf("running sweep counted as latest: %v %v", latest, err)
		}
		dev := []homelabcmd.DiscoveredDevice{{IP: "10.0.0.2", Source: "network", OpenPorts: []int{22}, SSHAvailable: true}}
		if err := db.FinishDiscovery(ctx, d.ID, dev, "tcp", ""); err != nil {
			t.Fatal(err)
		}
		latest, err := db.LatestDiscovery(ctx)
		if err != nil || latest == nil || len(latest.Devices) != 1 || latest.Devices[0].IP != "10.0.0.2" {
			t.Fatalf("%+v %v", latest, err)
		}

		sid := "web1"
		if err := db.AddRemoteAudit(ctx, homelabcmd.RemoteAudit{Actor: "admin", Action: "scan", Target: "10.0.0.5:22", ServerID: &sid,
			Credential: "default ssh_private_key", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
		audit, err := db.ListRemoteAudit(ctx, 10)
		if err != nil || len(audit) != 1 || *audit[0].ServerID != "web1" || audit[0].Credential != "default ssh_private_key" {
			t.Fatalf("%+v %v", audit, err)
		}
		if err := db.PutRemoteSetting(ctx, "ssh", `{"default_port":22}`); err != nil {
			t.Fatal(err)
		}
		if err := db.PutRemoteSetting(ctx, "ssh", `{"default_port":2222}`); err != nil {
			t.Fatal(err)
		}
		if v, err := db.RemoteSetting(ctx, "ssh"); err != nil || v != `{"default_port":2222}` {
			t.Fatalf("%q %v", v, err)
		}
	})
}

func TestConfigChecks(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustCreateServer(t, db, "web1")
		if err := db.AddConfigCheck(ctx, &homelabcmd.ConfigCheckRecord{ServerID: "ghost", Packs: []string{"base"}, Items: json.RawMessage(`[]`)}); !homelabcmd.IsNotFound(err) {
			t.Fatalf("unknown server: %v", err)
		}
		// keptConfigChecks+1 older checks in one statement, then one through the store.
		var values []string
		for i := range keptConfigChecks + 1 {
			values = append(values, fmt.Sprintf(`('web1', '["base","developer"]', %v, %d, '[]', $1)`, i%2 == 0, i))
		}
		if _, err := db.write.ExecContext(ctx, `INSERT INTO config_checks (server_id, packs, is_compliant, mismatches, items, checked_at) VALUES `+
			strings.Join(values, ", "), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		c := &homelabcmd.ConfigCheckRecord{ServerID: "web1", Packs: []string{"base", "developer"}, Compliant: false, Mismatches: keptConfigChecks + 1, Items: json.RawMessage(`[{"pack":"base"}]`)}
		if err := db.AddConfigCheck(ctx, c); err != nil || c.ID == 0 || c.CheckedAt.IsZero() {
			t.Fatalf("%+v %v", c, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM config_checks`); n != keptConfigChecks {
			t.Fatalf("%d checks kept, want %d", n, keptConfigChecks)
		}
		list, err := db.ListConfigChecks(ctx, "web1", 2)
		if err != nil || len(list) != 2 || list[0].Mismatches != keptConfigChecks+1 || list[0].Compliant || !list[1].Compliant ||
			len(list[0].Packs) != 2 || string(list[0].Items) != `[{"pack":"base"}]` {
			t.Fatalf("%+v %v", list, err)
		}
		if err := db.DeleteServer(ctx, "web1"); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM config_checks`); n != 0 {
			t.Fatalf("%d checks outlived their server", n)
		}
	})
}

func TestScanHistoryIsBounded(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var values []string
		for range keptDiscoveries + 2 {
			values = append(values, `('10.0.0.0/30', 'completed', 'admin', $1)`)
		}
		if _, err := db.write.ExecContext(ctx, `INSERT INTO discoveries (subnet, status, requested_by, started_at) VALUES `+strings.Join(values, ", "), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateDiscovery(ctx, &homelabcmd.Discovery{Subnet: "10.0.0.0/30", RequestedBy: "admin"}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM discoveries`); n != keptDiscoveries {
			t.Fatalf("%d sweeps kept, want %d", n, keptDiscoveries)
		}
		var last *homelabcmd.Scan
		for range 3 {
			last = &homelabcmd.Scan{Hostname: "h", Port: 22, Username: "root", ScanType: "quick", RequestedBy: "admin"}
			if err := db.CreateScan(ctx, last); err != nil {
				t.Fatal(err)
			}
		}
		// Only scans more than keptScans behind the newest go.
		if _, err := db.write.ExecContext(ctx, `UPDATE scans SET id = id - $1 WHERE id < $2`, keptScans, last.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateScan(ctx, &homelabcmd.Scan{Hostname: "h", Port: 22, Username: "root", ScanType: "quick", RequestedBy: "admin"}); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM scans`); n != 2 {
			t.Fatalf("%d scans, want the 2 newest", n)
		}
	})
}
