package sqlstore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestUsers(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		pwHash := homelabcmd.HashPassword("correct horse battery")

		t.Run("create stores an argon2id hash, never the password", func(t *testing.T) {
			u, err := db.CreateUser(ctx, "alice", homelabcmd.RoleAdmin, pwHash)
			if err != nil || u.Username != "alice" || u.Role != homelabcmd.RoleAdmin || u.ID == 0 {
				t.Fatalf("create: %+v %v", u, err)
			}
			var stored string
			if err := db.read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE username = 'alice'`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "$argon2id$v=19$") || strings.Contains(stored, "correct horse") {
				t.Fatalf("stored %q", stored)
			}
		})

		for _, tc := range []struct {
			name, username string
			role           homelabcmd.Role
			code           string
		}{
			{"duplicate name", "alice", homelabcmd.RoleViewer, homelabcmd.ECONFLICT},
			{"upper case", "Alice", homelabcmd.RoleViewer, homelabcmd.EINVALID},
			{"empty", "", homelabcmd.RoleViewer, homelabcmd.EINVALID},
			{"NUL", "bob\x00", homelabcmd.RoleViewer, homelabcmd.EINVALID},
			{"reserved", "api-key", homelabcmd.RoleViewer, homelabcmd.EINVALID},
			{"unknown role", "bob", "root", homelabcmd.EINVALID},
		} {
			t.Run("refuses "+tc.name, func(t *testing.T) {
				if _, err := db.CreateUser(ctx, tc.username, tc.role, pwHash); homelabcmd.ErrorCode(err) != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
			})
		}

		t.Run("authenticate", func(t *testing.T) {
			for _, tc := range []struct {
				name, user, pw string
				ok             bool
			}{
				{"right password", "alice", "correct horse battery", true},
				{"wrong password", "alice", "correct horse battery!", false},
				{"unknown user", "mallory", "correct horse battery", false},
			} {
				u, err := db.Authenticate(ctx, tc.user, tc.pw)
				if tc.ok != (err == nil) || (!tc.ok && homelabcmd.ErrorCode(err) != homelabcmd.EUNAUTHORIZED) {
					t.Errorf("%s: %v", tc.name, err)
				}
				if tc.ok && (u.LastLogin == nil || u.Username != "alice") {
					t.Errorf("%s: %+v", tc.name, u)
				}
			}
		})

		t.Run("first user only while none exists", func(t *testing.T) {
			if _, err := db.CreateFirstUser(ctx, "eve", "x"); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
				t.Fatalf("got %v, want conflict", err)
			}
		})

		t.Run("the last admin stays", func(t *testing.T) {
			viewer := homelabcmd.RoleViewer
			if _, err := db.UpdateUser(ctx, "alice", &viewer, nil); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
				t.Fatalf("demote: %v", err)
			}
			if err := db.DeleteUser(ctx, "alice", false); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
				t.Fatalf("delete: %v", err)
			}
			if _, err := db.CreateUser(ctx, "carol", homelabcmd.RoleAdmin, pwHash); err != nil {
				t.Fatal(err)
			}
			if u, err := db.UpdateUser(ctx, "carol", &viewer, nil); err != nil || u.Role != viewer {
				t.Fatalf("demote with another admin: %+v %v", u, err)
			}
			if err := db.DeleteUser(ctx, "carol", false); err != nil {
				t.Fatal(err)
			}
			if err := db.DeleteUser(ctx, "carol", false); homelabcmd.ErrorCode(err) != homelabcmd.ENOTFOUND {
				t.Fatalf("delete twice: %v", err)
			}
		})
	})
}

func TestFirstUserRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = db.CreateFirstUser(ctx, "admin"+string(rune('a'+i)), "hash")
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch homelabcmd.ErrorCode(err) {
			case "":
				won++
			case homelabcmd.ECONFLICT:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if n, _ := db.UserCount(ctx); won != 1 || n != 1 {
			t.Fatalf("%d setups won, %d users; want exactly one", won, n)
		}
	})
}

func TestSessionsNameTheirUser(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u, err := db.CreateUser(ctx, "dave", homelabcmd.RoleOperator, "hash")
		if err != nil {
			t.Fatal(err)
		}
		s1, _ := db.CreateSession(ctx, time.Hour, u.ID, "cred")
		s2, _ := db.CreateSession(ctx, time.Hour, u.ID, "cred")
		key, _ := db.CreateSession(ctx, time.Hour, 0, "cred")
		for _, tc := range []struct {
			token string
			want  homelabcmd.Principal
		}{
			{s1, homelabcmd.Principal{Name: "dave", Role: homelabcmd.RoleOperator, Kind: homelabcmd.PrincipalUser, UserID: u.ID}},
			{key, homelabcmd.Principal{Name: "api-key", Role: homelabcmd.RoleAdmin, Kind: homelabcmd.PrincipalAPIKey}},
		} {
			if p, err := db.SessionPrincipal(ctx, tc.token, "cred"); err != nil || p == nil || *p != tc.want {
				t.Errorf("principal %+v %v, want %+v", p, err, tc.want)
			}
		}
		if p, err := db.SessionPrincipal(ctx, "hlh_ws_nope", "cred"); p != nil || err != nil {
			t.Errorf("unknown session: %+v %v", p, err)
		}
		if list, err := db.ListSessions(ctx); err != nil || len(list) != 3 {
			t.Fatalf("list: %d %v", len(list), err)
		}
		// A role change applies to live sessions at once.
		viewer := homelabcmd.RoleViewer
		if _, err := db.UpdateUser(ctx, "dave", &viewer, nil); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.SessionPrincipal(ctx, s2, "cred"); p == nil || p.Role != viewer {
			t.Errorf("after demotion: %+v", p)
		}
		// Sign out everywhere ends dave's sessions, not the key's.
		if n, err := db.DeleteUserSessions(ctx, "dave"); err != nil || n != 2 {
			t.Fatalf("ended %d %v", n, err)
		}
		if p, _ := db.SessionPrincipal(ctx, s1, "cred"); p != nil {
			t.Error("s1 survived sign out everywhere")
		}
		if p, _ := db.SessionPrincipal(ctx, key, "cred"); p == nil {
			t.Error("the key's session ended too")
		}
		// A new password ends the sessions; deleting the user too.
		s3, _ := db.CreateSession(ctx, time.Hour, u.ID, "cred")
		h := "other-hash"
		if _, err := db.UpdateUser(ctx, "dave", nil, &h); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.SessionPrincipal(ctx, s3, "cred"); p != nil {
			t.Error("session survived a password reset")
		}
		s4, _ := db.CreateSession(ctx, time.Hour, u.ID, "cred")
		if err := db.DeleteUser(ctx, "dave", false); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.SessionPrincipal(ctx, s4, "cred"); p != nil {
			t.Error("session survived deleting its user")
		}
		// An admin ends one session by its listed id.
		list, _ := db.ListSessions(ctx)
		if len(list) != 1 || list[0].ID != homelabcmd.HashSecret(key) {
			t.Fatalf("sessions %+v", list)
		}
		if err := db.DeleteSessionByID(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSessionByID(ctx, list[0].ID); homelabcmd.ErrorCode(err) != homelabcmd.ENOTFOUND {
			t.Fatalf("twice: %v", err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		in24h := now.Add(24 * time.Hour)
		tok, secret, err := db.CreateAPIToken(ctx, homelabcmd.APIToken{Name: "grafana", Role: homelabcmd.RoleViewer, CreatedBy: "alice", ExpiresAt: &in24h})
		if err != nil || !strings.HasPrefix(secret, homelabcmd.PrefixAPIToken) || !strings.HasPrefix(secret, tok.Prefix) || tok.LastUsedAt != nil {
			t.Fatalf("create: %+v %q %v", tok, secret, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1`, homelabcmd.HashSecret(secret)); n != 1 {
			t.Fatal("the hash is not stored")
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR token_prefix = $1`, secret); n != 0 {
			t.Fatal("the secret is stored")
		}

		for _, tc := range []struct {
			name string
			t    homelabcmd.APIToken
			code string
		}{
			{"duplicate name", homelabcmd.APIToken{Name: "grafana", Role: homelabcmd.RoleViewer}, homelabcmd.ECONFLICT},
			{"bad name", homelabcmd.APIToken{Name: "a\nb", Role: homelabcmd.RoleViewer}, homelabcmd.EINVALID},
			{"bad role", homelabcmd.APIToken{Name: "x", Role: "superuser"}, homelabcmd.EINVALID},
			{"expiry in the past", homelabcmd.APIToken{Name: "y", Role: homelabcmd.RoleViewer, ExpiresAt: &now}, homelabcmd.EINVALID},
		} {
			if _, _, err := db.CreateAPIToken(ctx, tc.t); homelabcmd.ErrorCode(err) != tc.code {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
			}
		}

		p, err := db.VerifyAPIToken(ctx, secret)
		if err != nil || *p != (homelabcmd.Principal{Name: "token:grafana", Role: homelabcmd.RoleViewer, Kind: homelabcmd.PrincipalToken}) {
			t.Fatalf("verify: %+v %v", p, err)
		}
		list, _ := db.ListAPITokens(ctx)
		if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(now) {
			t.Fatalf("last used not recorded: %+v", list)
		}
		wrong := []byte(secret)
		wrong[len(wrong)-1] ^= 1 // always a different last character
		for _, tc := range []struct {
			name   string
			secret string
			at     time.Time
		}{
			{"wrong secret", string(wrong), now},
			{"expired", secret, in24h.Add(time.Second)},
		} {
			now = tc.at
			if _, err := db.VerifyAPIToken(ctx, tc.secret); homelabcmd.ErrorCode(err) != homelabcmd.EUNAUTHORIZED {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		now = in24h.Add(-time.Minute)
		if err := db.DeleteAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifyAPIToken(ctx, secret); homelabcmd.ErrorCode(err) != homelabcmd.EUNAUTHORIZED {
			t.Errorf("deleted token still works: %v", err)
		}
	})
}
