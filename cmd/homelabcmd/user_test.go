package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// TestUserCommand drives `homelabcmd user` against a real database on each
// engine, the way an operator recovers access from the shell.
func TestUserCommand(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		// The command refuses a database that does not exist yet (it would
		// not be the hub's); `migrate up` creates one.
		var out bytes.Buffer
		if code := run(ctx, []string{"migrate", "--database-url", dbURL, "up"}, nil, &out, &out); code != 0 {
			t.Fatalf("migrate up: %s", out.String())
		}
		user := func(stdin string, args ...string) (string, error) {
			var out, errOut bytes.Buffer
			err := runUserWithInput(ctx, append([]string{"--database-url", dbURL}, args...), nil, strings.NewReader(stdin), &out, &errOut)
			return out.String() + errOut.String(), err
		}
		steps := []struct {
			name, stdin string
			args        []string
			wantOut     string // substring of the output, or of the error
			wantErr     bool
		}{
			{"add an admin", "first password 1\n", []string{"add", "alice"}, "added user alice (admin)", false},
			{"add a viewer, flag after the name", "second password\n", []string{"add", "bob", "--role", "viewer"}, "added user bob (viewer)", false},
			{"duplicate", "second password\n", []string{"add", "bob"}, "already exists", true},
			{"short password", "short\n", []string{"add", "carol"}, "password must be 10 to 256", true},
			{"no password", "", []string{"add", "carol"}, "no password on standard input", true},
			{"bad name", "long enough pw\n", []string{"add", "Carol!"}, "username must be", true},
			{"bad role", "long enough pw\n", []string{"add", "carol", "--role", "root"}, "--role must be", true},
			{"unknown action", "", []string{"promote", "bob"}, "unknown action", true},
			{"missing name", "", []string{"delete"}, "takes 1 user name", true},
			{"list", "", []string{"list"}, "alice", false},
			{"reset", "a brand new password\r\n", []string{"reset-password", "alice"}, "new password set for alice", false},
			{"reset unknown", "a brand new password\n", []string{"reset-password", "nobody"}, "User 'nobody' not found", true},
			{"delete the last admin (recovery may)", "", []string{"delete", "alice"}, "deleted user alice", false},
			{"delete unknown", "", []string{"delete", "alice"}, "not found", true},
		}
		for _, s := range steps {
			out, err := user(s.stdin, s.args...)
			if (err != nil) != s.wantErr {
				t.Fatalf("%s: err %v, output %q", s.name, err, out)
			}
			got := out
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, s.wantOut) {
				t.Fatalf("%s: %q does not contain %q", s.name, got, s.wantOut)
			}
		}

		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		users, _ := db.ListUsers(ctx)
		if len(users) != 1 || users[0].Username != "bob" || users[0].Role != homelabcmd.RoleViewer {
			t.Fatalf("users %+v", users)
		}
		if _, err := db.Authenticate(ctx, "bob", "second password"); err != nil {
			t.Fatalf("bob cannot sign in with the password given on stdin: %v", err)
		}
	})
}
