package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/mcpapi"
)

// mcpHandler serves the Model Context Protocol at /mcp for AI assistants.
// A client authenticates with "Authorization: Bearer <key>" (or X-API-Key);
// the operator key may read and operate. The MCP server (its tools' JSON
// schemas, about 1 MB of heap) is built on the first request: most hubs
// never get one.
func (s *Server) mcpHandler() http.Handler {
	handler := sync.OnceValue(func() http.Handler {
		return mcpapi.Handler(s.store, s.engine, s.verifyMCP, s.logger.With("component", "mcp"))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := handler()
		// A client's open event stream ends when the hub stops, so that
		// shutdown need not wait for it.
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-s.shutdown:
				cancel()
			case <-ctx.Done():
			}
		}()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// verifyMCP maps an MCP client's credential to who it is and what it may
// do: the operator key, or a scoped API token whose role decides (operator
// and admin may operate, a viewer only reads). Wrong credentials count
// towards the client's failed-authentication limit.
func (s *Server) verifyMCP(r *http.Request, token string) (mcpapi.Principal, error) {
	if err := s.authThrottle(r); err != nil {
		return mcpapi.Principal{}, err
	}
	token = strings.TrimSpace(token)
	if s.apiKeyValid(token) {
		return mcpapi.Principal{Name: homelabcmd.ActorAPIKey, CanOperate: true}, nil
	}
	if strings.HasPrefix(token, homelabcmd.PrefixAPIToken) {
		p, err := s.store.VerifyAPIToken(r.Context(), token)
		if err != nil {
			if homelabcmd.ErrorCode(err) == homelabcmd.EUNAUTHORIZED {
				s.authFailed(r, "mcp bearer token")
			}
			return mcpapi.Principal{}, err
		}
		return mcpapi.Principal{Name: p.Name, CanOperate: p.Role.Allows(homelabcmd.RoleOperator)}, nil
	}
	s.authFailed(r, "mcp bearer token")
	return mcpapi.Principal{}, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing authentication")
}
