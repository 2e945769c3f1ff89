package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/mcpapi"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// TestMCPTakesScopedTokens: the MCP endpoint accepts scoped API tokens
// besides the operator key, and only operator and admin tokens operate.
func TestMCPTakesScopedTokens(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		s := NewServer(db, nil, homelabcmd.HashSecret("the-operator-key-123"), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		secrets := map[homelabcmd.Role]string{}
		for _, role := range homelabcmd.Roles {
			_, secret, err := db.CreateAPIToken(ctx, homelabcmd.APIToken{Name: "mcp-" + string(role), Role: role, CreatedBy: "test"})
			if err != nil {
				t.Fatal(err)
			}
			secrets[role] = secret
		}
		for _, tc := range []struct {
			name, token string
			want        mcpapi.Principal
			wantErr     bool
		}{
			{"operator key", "the-operator-key-123", mcpapi.Principal{Name: "api-key", CanOperate: true}, false},
			{"viewer token reads", secrets[homelabcmd.RoleViewer], mcpapi.Principal{Name: "token:mcp-viewer"}, false},
			{"operator token operates", secrets[homelabcmd.RoleOperator], mcpapi.Principal{Name: "token:mcp-operator", CanOperate: true}, false},
			{"admin token operates", secrets[homelabcmd.RoleAdmin], mcpapi.Principal{Name: "token:mcp-admin", CanOperate: true}, false},
			{"wrong token", secrets[homelabcmd.RoleAdmin] + "0", mcpapi.Principal{}, true},
			{"nothing", "", mcpapi.Principal{}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.verifyMCP(httptest.NewRequest("POST", "/mcp", nil), tc.token)
				if (err != nil) != tc.wantErr || got != tc.want {
					t.Fatalf("verifyMCP = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.wantErr)
				}
			})
		}
	})
}
