package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// TestUserRecoveryFromTheShell: while the hub runs, `homelabcmd user` on
// its database adds an admin and resets a password, and the running hub
// lets them sign in at once (both engines).
func TestUserRecoveryFromTheShell(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		env := []string{"HOMELAB_CMD_DATABASE_URL=" + dbURL, "HOMELAB_CMD_LOCAL_AGENT=false"}
		h := StartHub(t, dir, env)
		user := func(stdin string, args ...string) string {
			t.Helper()
			cmd := exec.Command(binary, append([]string{"user"}, args...)...)
			cmd.Dir, cmd.Env = dir, env
			cmd.Stdin = strings.NewReader(stdin)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("user %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		login := func(name, pw string) int {
			t.Helper()
			body, _ := json.Marshal(map[string]string{"username": name, "password": pw})
			resp, err := http.Post(h.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		user("first password 1\n", "add", "root-admin")
		if code := login("root-admin", "first password 1"); code != 204 {
			t.Fatalf("sign-in after user add: %d", code)
		}
		user("second password 2\n", "reset-password", "root-admin")
		if code := login("root-admin", "first password 1"); code != 401 {
			t.Fatalf("the old password still works: %d", code)
		}
		if code := login("root-admin", "second password 2"); code != 204 {
			t.Fatalf("sign-in after reset: %d", code)
		}
		if out := user("", "list"); !strings.Contains(out, "root-admin") || !strings.Contains(out, "admin") {
			t.Fatalf("list:\n%s", out)
		}
		// The first-run setup is closed: a user exists.
		var setup map[string]any
		getJSON(t, h.URL+"/api/v1/auth/setup", &setup)
		if setup["needed"] != false {
			t.Fatalf("setup %v", setup)
		}
	})
}
