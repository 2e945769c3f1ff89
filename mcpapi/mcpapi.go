// Package mcpapi serves the hub to AI assistants over the Model Context
// Protocol (Streamable HTTP, at /mcp): read the fleet, its alerts and
// service history, and — with a credential that may operate — acknowledge
// alerts and queue restarts through the same action queue, guard rails,
// maintenance approval and audit trail as a dashboard click.
package mcpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/homelabcmd/homelabcmd"
)

// Reader is what the read tools need of the store.
type Reader interface {
	ServerOverviews(ctx context.Context) ([]*homelabcmd.ServerOverview, error)
	FindServer(ctx context.Context, id string) (*homelabcmd.Server, error)
	ListExpectedServices(ctx context.Context, serverID string) ([]*homelabcmd.ExpectedService, error)
	ListAlerts(ctx context.Context, f homelabcmd.AlertFilter) ([]*homelabcmd.Alert, int, error)
	ServiceHistory(ctx context.Context, serverID, name string, f homelabcmd.HistoryFilter) ([]homelabcmd.ServiceStatus, int64, error)
}

// Operator is what the write tools need of the engine.
type Operator interface {
	AcknowledgeAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error)
	CreateRestart(ctx context.Context, serverID, service, actor string) (*homelabcmd.Action, error)
}

// Principal is who a credential belongs to and whether it may change
// anything (acknowledge, restart) or only read.
type Principal struct {
	Name       string
	CanOperate bool
}

// Verify checks a bearer token (or X-API-Key) of a request. It returns an
// error for a wrong or missing credential.
type Verify func(r *http.Request, token string) (Principal, error)

// scopeOperate is the token scope of a credential that may operate.
const scopeOperate = "operate"

// Handler serves MCP at one path. Every request is authenticated; a
// session stays bound to the credential that opened it (the SDK refuses a
// session id presented by another user). A read-only credential gets a
// server without the write tools, and the write tools check the scope of
// each call again.
func Handler(r Reader, o Operator, verify Verify, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	read, full := newServer(r, o, false), newServer(r, o, true)
	h := mcp.NewStreamableHTTPHandler(func(req *http.Request) *mcp.Server {
		if canOperate(auth.TokenInfoFromContext(req.Context())) {
			return full
		}
		return read
	}, &mcp.StreamableHTTPOptions{Logger: logger, SessionTimeout: 30 * time.Minute, MaxRequestBodyBytes: 256 << 10,
		// The hub's own listener decides where it is reachable; agents on
		// other machines reach it by a LAN name, not localhost.
		DisableLocalhostProtection: true})
	verifier := func(ctx context.Context, token string, req *http.Request) (*auth.TokenInfo, error) {
		p, err := verify(req, token)
		if err != nil {
			return nil, errors.Join(auth.ErrInvalidToken, err)
		}
		info := &auth.TokenInfo{UserID: p.Name, Scopes: []string{"read"}}
		if p.CanOperate {
			info.Scopes = append(info.Scopes, scopeOperate)
		}
		return info, nil
	}
	protected := auth.RequireBearerToken(verifier, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	// Clients configured with the hub's X-API-Key header (as its other
	// clients are) are accepted too.
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if key := req.Header.Get("X-API-Key"); key != "" && req.Header.Get("Authorization") == "" {
			req = req.Clone(req.Context())
			req.Header.Set("Authorization", "Bearer "+key)
		}
		protected.ServeHTTP(w, req)
	})
}

func canOperate(info *auth.TokenInfo) bool {
	if info == nil {
		return false
	}
	for _, s := range info.Scopes {
		if s == scopeOperate {
			return true
		}
	}
	return false
}
