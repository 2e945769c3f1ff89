package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

const userUsage = `Usage: homelabcmd user [--database-url URL] <action>
  add NAME [--role viewer|operator|admin]   add a user (default role admin); password from stdin
  reset-password NAME                       set a new password (ends the user's sessions); password from stdin
  list                                      list the users
  delete NAME                               delete a user and their sessions (even the last admin)
The password is the first line of standard input, so it never shows in the process list:
  printf '%s\n' "$PASSWORD" | homelabcmd user add alice
These commands work on the database directly (migrating it like serve); the hub need not run.`

// runUser: homelabcmd user add|reset-password|list|delete, the shell's way
// to recover access (a forgotten password, no admin left).
func runUser(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	return runUserWithInput(ctx, args, env, os.Stdin, stdout, stderr)
}

func runUserWithInput(ctx context.Context, args, env []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", envOr(env, config.EnvPrefix+"DATABASE_URL", sqlstore.DefaultURL), "database URL (also HOMELAB_CMD_DATABASE_URL)")
	role := fs.String("role", string(homelabcmd.RoleAdmin), "role of a new user: viewer, operator or admin")
	fs.Usage = func() { _, _ = io.WriteString(fs.Output(), userUsage+"\n"); fs.PrintDefaults() }
	// Flags may come before or after the action and name.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) == 0 {
		fs.Usage()
		return errors.New("missing action")
	}
	action, names := rest[0], rest[1:]
	wantNames := map[string]int{"add": 1, "reset-password": 1, "delete": 1, "list": 0}
	n, ok := wantNames[action]
	if !ok {
		return fmt.Errorf("unknown action %q (use add, reset-password, list or delete)", action)
	}
	if len(names) != n {
		return fmt.Errorf("%s takes %d user name(s), got %d", action, n, len(names))
	}

	// The hub's database must exist: pointed at the wrong folder, an
	// account would land in a new, empty database the hub never reads.
	if err := sqlstore.RequireExisting(*dbURL); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	// Like serve, bring the schema up to date.
	if err := db.Migrate(ctx, nil); err != nil {
		return err
	}
	switch action {
	case "list":
		users, err := db.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tROLE\tCREATED\tLAST SIGN-IN")
		for _, u := range users {
			last := "never"
			if u.LastLogin != nil {
				last = u.LastLogin.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, u.CreatedAt.Format(time.RFC3339), last)
		}
		return tw.Flush()
	case "delete":
		if err := db.DeleteUser(ctx, names[0], true); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "deleted user %s\n", names[0])
		return nil
	}
	if err := homelabcmd.ValidateUsername(names[0]); err != nil && action == "add" {
		return userError(err)
	}
	if action == "add" && !homelabcmd.Role(*role).Valid() {
		return fmt.Errorf("--role must be viewer, operator or admin, not %q", *role)
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	if err := homelabcmd.ValidatePassword(pw); err != nil {
		return userError(err)
	}
	hash := homelabcmd.HashPassword(pw)
	if action == "add" {
		u, err := db.CreateUser(ctx, names[0], homelabcmd.Role(*role), hash)
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "added user %s (%s)\n", u.Username, u.Role)
		return nil
	}
	if _, err := db.UpdateUser(ctx, names[0], nil, &hash); err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "new password set for %s; their sessions ended\n", names[0])
	return nil
}

// readPassword takes the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, homelabcmd.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (pipe it in: printf '%s\\n' \"$PASSWORD\" | homelabcmd user …)")
	}
	return line, nil
}

// userError shows an application error's message alone.
func userError(err error) error {
	var e *homelabcmd.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}
