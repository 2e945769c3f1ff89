package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/config/option"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// dump runs `homelabcmd config dump --json` and decodes its output.
func dump(t *testing.T, args, env []string) (*option.Dump, string) {
	t.Helper()
	return dumpExit(t, 0, args, env)
}

// dumpExit is dump expecting exit code want.
func dumpExit(t *testing.T, want int, args, env []string) (*option.Dump, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), append([]string{"config", "dump", "--json"}, args...), env, &out, &errOut); code != want {
		t.Fatalf("exit %d, want %d: %s", code, want, errOut.String())
	}
	if want != 0 {
		return dumpOut(t, out.Bytes()), errOut.String()
	}
	return dumpOut(t, out.Bytes()), out.String()
}

func dumpOut(t *testing.T, out []byte) *option.Dump {
	t.Helper()
	d := &option.Dump{}
	if err := json.Unmarshal(out, d); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return d
}

func TestConfigDumpSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hub.yaml")
	os.WriteFile(file, []byte("port: 9000\nlog_level: warn\nlog_format: json\n"), 0o600)
	dbPath := filepath.Join(dir, "none", "homelab.db")
	// The dump is printed, and the missing database is the error.
	d, stderr := dumpExit(t, 1, []string{"--config", file, "--host", "127.0.0.1", "--log-format", "text", "--database-url", "sqlite:///" + dbPath},
		[]string{"HOMELAB_CMD_LOG_LEVEL=debug", "HOMELAB_CMD_RESTART_MAX=5"})
	tests := []struct {
		name, value string
		source      option.Source
	}{
		{"action_timeout", "10m", option.Default},
		{"offline_timeout", "3m", option.Default},
		{"port", "9000", option.File},
		{"log_level", "debug", option.Env},
		{"restart_max", "5", option.Env},
		{"host", "127.0.0.1", option.Flag},
		{"log_format", "text", option.Flag},
		{"external_url", option.Unset, option.Default},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := d.Entry(tt.name)
			if e == nil || e.Value != tt.value || e.Source != tt.source {
				t.Fatalf("%+v, want value %q from %s", e, tt.value, tt.source)
			}
		})
	}
	if d.ConfigFile != file || len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "no database") {
		t.Fatalf("file %q notes %q", d.ConfigFile, d.Notes)
	}
	if !strings.Contains(stderr, "no database at "+dbPath) || !strings.Contains(stderr, "--database-url") {
		t.Fatalf("stderr: %s", stderr)
	}
	if _, err := os.Stat(filepath.Dir(dbPath)); !os.IsNotExist(err) {
		t.Fatalf("the dump created %s: %v", filepath.Dir(dbPath), err)
	}
}

// Every secret option, set from the environment or a flag, is masked in
// both formats; so is a password in the database URL.
func TestConfigDumpMasksSecrets(t *testing.T) {
	_, set, _, err := config.ParseHub(flag.NewFlagSet("x", flag.ContinueOnError), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := "--database-url=sqlite:///" + filepath.Join(t.TempDir(), "homelab.db")
	for _, o := range set.Options() {
		if !o.Secret {
			continue
		}
		value := "leak-" + o.Name + "-0123456789abcdef"
		for _, via := range []string{"env", "flag"} {
			t.Run(o.Name+" from "+via, func(t *testing.T) {
				args, env := []string{db}, []string(nil)
				if via == "env" {
					env = []string{o.Env + "=" + value}
				} else {
					args = append(args, "--"+o.Flag+"="+value)
				}
				for _, format := range []string{"--json=true", "--json=false"} {
					var out, errOut bytes.Buffer
					run(context.Background(), append([]string{"config", "dump", format}, args...), env, &out, &errOut)
					if all := out.String() + errOut.String(); strings.Contains(all, value) || !strings.Contains(all, option.Masked) {
						t.Fatalf("%s: secret shown or not masked:\n%s", format, all)
					}
				}
			})
		}
	}
	var out bytes.Buffer
	run(context.Background(), []string{"config", "dump", "--database-url", "postgres://u:pw-leak-1234@127.0.0.1:1/db"}, nil, &out, io.Discard)
	if strings.Contains(out.String(), "pw-leak-1234") || !strings.Contains(out.String(), "could not be read") {
		t.Fatalf("database password shown, or no note:\n%s", out.String())
	}
}

// Stored alert thresholds override offline_timeout left at its default; an
// explicit one wins (alerting.Pin), on both engines; a database without the
// schema is reported, not created.
func TestConfigDumpStoredOverride(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		args := []string{"--database-url", dbURL, "--offline-timeout", "5m"}
		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if d, _ := dump(t, args, nil); len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "could not be read") {
			t.Fatalf("unmigrated database: notes %q", d.Notes)
		}
		if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if d, _ := dump(t, args, nil); len(d.Notes) != 0 || d.Entry("offline_timeout").Source != option.Flag {
			t.Fatalf("nothing stored: %+v %q", d.Entry("offline_timeout"), d.Notes)
		}
		secs := 600
		if _, _, err := hub.New(db, nil, hub.Options{}).UpdateThresholds(ctx, alerting.ThresholdsPatch{ServerOfflineSeconds: &secs}); err != nil {
			t.Fatal(err)
		}
		d, _ := dump(t, args, nil)
		if e := d.Entry("offline_timeout"); e.Value != "5m" || e.Source != option.Flag || !strings.Contains(e.Note, "wins over the stored thresholds.server_offline_seconds (10m)") {
			t.Fatalf("stored with the flag: %+v", e)
		}
		d, _ = dump(t, args[:2], nil)
		if e := d.Entry("offline_timeout"); e.Value != "10m" || e.Source != option.Stored || !strings.Contains(e.Note, "overrides 3m from default") {
			t.Fatalf("stored without the flag: %+v", e)
		}
	})
}
