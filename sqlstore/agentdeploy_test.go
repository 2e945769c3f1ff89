package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// TestSetServerInactive marks a server's agent removed (offline, since
// now; its heartbeats refused) and active again, on both engines.
func TestSetServerInactive(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "box")
		srv, err := db.SetServerInactive(ctx, "box", true)
		if err != nil || !srv.IsInactive || srv.InactiveSince == nil || srv.Status != "offline" {
			t.Fatalf("inactive: %+v %v", srv, err)
		}
		if _, err := db.Ingest(ctx, heartbeat("box", time.Now()), homelabcmd.IngestMeta{}); homelabcmd.ErrorCode(err) != homelabcmd.EFORBIDDEN {
			t.Fatalf("a heartbeat of an inactive server: %v", err)
		}
		srv, err = db.SetServerInactive(ctx, "box", false)
		if err != nil || srv.IsInactive || srv.InactiveSince != nil {
			t.Fatalf("active: %+v %v", srv, err)
		}
		if _, err := db.SetServerInactive(ctx, "nope", true); !homelabcmd.IsNotFound(err) {
			t.Fatalf("unknown server: %v", err)
		}
	})
}

// TestSSHTargetJump keeps a target's jump host, and drops it when the
// target is set again without one.
func TestSSHTargetJump(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "bastion")
		mustCreateServer(t, db, "inner")
		jump := "bastion"
		if err := db.PutSSHTarget(ctx, homelabcmd.SSHTarget{ServerID: "inner", Host: "192.168.9.4", Port: 22, Username: "root", JumpServerID: &jump}); err != nil {
			t.Fatal(err)
		}
		got, err := db.SSHTarget(ctx, "inner")
		if err != nil || got.JumpServerID == nil || *got.JumpServerID != "bastion" || got.Host != "192.168.9.4" {
			t.Fatalf("with a jump host: %+v %v", got, err)
		}
		if err := db.PutSSHTarget(ctx, homelabcmd.SSHTarget{ServerID: "inner", Host: "192.168.9.4", Port: 22, Username: "root"}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.SSHTarget(ctx, "inner"); err != nil || got.JumpServerID != nil {
			t.Fatalf("without: %+v %v", got, err)
		}
	})
}
