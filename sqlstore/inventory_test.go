package sqlstore

import (
	"context"
	"slices"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

func TestUnitInventory(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "nas")
		inv, err := db.FindUnitInventory(ctx, "nas")
		if err != nil || len(inv.Units) != 0 || inv.ReportedAt != nil || inv.AdoptedAt != nil {
			t.Fatalf("before any report: %+v, %v", inv, err)
		}
		if _, err := db.FindUnitInventory(ctx, "nope"); homelabcmd.ErrorCode(err) != homelabcmd.ENOTFOUND {
			t.Fatalf("unknown server: %v", err)
		}
		if _, err := db.SaveUnitInventory(ctx, "nope", nil, []string{"plex"}); homelabcmd.ErrorCode(err) != homelabcmd.ENOTFOUND {
			t.Fatalf("save for an unknown server: %v", err)
		}

		// The user already expects sonarr: adopting leaves it as it is.
		if err := db.CreateExpectedService(ctx, &homelabcmd.ExpectedService{ServerID: "nas", ServiceName: "sonarr", IsCritical: true, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		units := []homelabcmd.AvailableUnit{{Name: "plex.service", Description: "Plex Media Server", Kind: "service"}, {Name: "sonarr.service", Kind: "service"}}
		added, err := db.SaveUnitInventory(ctx, "nas", units, []string{"plex", "sonarr"})
		if err != nil || !slices.Equal(added, []string{"plex"}) {
			t.Fatalf("first report added %v, %v", added, err)
		}
		inv, err = db.FindUnitInventory(ctx, "nas")
		if err != nil || !slices.Equal(inv.Units, units) || inv.ReportedAt == nil || inv.AdoptedAt == nil {
			t.Fatalf("after the first report: %+v, %v", inv, err)
		}
		sonarr, err := db.FindExpectedService(ctx, "nas", "sonarr")
		if err != nil || !sonarr.IsCritical {
			t.Fatalf("sonarr changed: %+v, %v", sonarr, err)
		}

		// Adoption happens once: a service the user deleted stays deleted.
		if err := db.DeleteExpectedService(ctx, "nas", "plex"); err != nil {
			t.Fatal(err)
		}
		added, err = db.SaveUnitInventory(ctx, "nas", nil, []string{"plex", "sonarr", "radarr"})
		if err != nil || len(added) != 0 {
			t.Fatalf("second report added %v, %v", added, err)
		}
		if _, err := db.FindExpectedService(ctx, "nas", "plex"); homelabcmd.ErrorCode(err) != homelabcmd.ENOTFOUND {
			t.Fatalf("plex came back: %v", err)
		}
		// nil units keep the inventory; an empty list replaces it.
		if inv, _ = db.FindUnitInventory(ctx, "nas"); len(inv.Units) != 2 {
			t.Fatalf("nil units replaced the inventory: %+v", inv)
		}
		if _, err := db.SaveUnitInventory(ctx, "nas", []homelabcmd.AvailableUnit{}, nil); err != nil {
			t.Fatal(err)
		}
		if inv, _ = db.FindUnitInventory(ctx, "nas"); len(inv.Units) != 0 {
			t.Fatalf("empty units kept the old inventory: %+v", inv)
		}
		// Deleting the server deletes its inventory.
		if err := db.DeleteServer(ctx, "nas"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM unit_inventory`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d inventory rows left, %v", n, err)
		}
	})
}

func TestServerTags(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "pi")
		if s, err := db.FindServer(ctx, "pi"); err != nil || s.Tags == nil || len(s.Tags) != 0 {
			t.Fatalf("new server tags %v, %v", s.Tags, err)
		}
		tags := []string{"dns", "rack-1"}
		s, err := db.UpdateServer(ctx, "pi", homelabcmd.ServerUpdate{Tags: &tags})
		if err != nil || !slices.Equal(s.Tags, tags) {
			t.Fatalf("update: %v, %v", s, err)
		}
		list, err := db.ListServers(ctx)
		if err != nil || len(list) != 1 || !slices.Equal(list[0].Tags, tags) {
			t.Fatalf("list: %v", err)
		}
		for _, bad := range [][]string{{"Upper"}, {"a b"}, {"dup", "dup"}, {""}} {
			if _, err := db.UpdateServer(ctx, "pi", homelabcmd.ServerUpdate{Tags: &bad}); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
				t.Errorf("tags %q: %v", bad, err)
			}
		}
	})
}
