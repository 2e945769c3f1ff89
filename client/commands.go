package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// CommandsPath is the agent's long-poll for approved actions.
const CommandsPath = "/api/v1/agents/commands"

// agentQuery names the server when the operator key (not an agent token,
// which is bound to one server) authenticates the request.
func (c *Client) agentQuery(serverID string, v url.Values) string {
	if c.AgentToken == "" && serverID != "" {
		v.Set("server_id", serverID)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Commands waits up to wait (whole seconds, at most 55) for approved actions
// of serverID and returns them; the hub marks them executing as it answers.
// An empty list means the wait ran out. The HTTP client's timeout must be
// longer than wait. Errors are *Error.
func (c *Client) Commands(ctx context.Context, serverID string, wait time.Duration) ([]homelabcmd.PendingCommand, error) {
	q := c.agentQuery(serverID, url.Values{"wait": {fmt.Sprint(int(wait.Seconds()))}})
	var out struct {
		Commands []homelabcmd.PendingCommand `json:"commands"`
	}
	if err := c.do(ctx, http.MethodGet, CommandsPath+q, nil, &out); err != nil {
		return nil, err
	}
	return out.Commands, nil
}

// ReportResult sends the outcome of an action the agent carried out. The hub
// answers 404 for an unknown action (or another server's) and 409 when the
// action is no longer executing (e.g. it timed out). Errors are *Error.
func (c *Client) ReportResult(ctx context.Context, serverID string, actionID int64, r homelabcmd.ActionResult) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	path := fmt.Sprintf("%s/%d/result%s", CommandsPath, actionID, c.agentQuery(serverID, url.Values{}))
	return c.do(ctx, http.MethodPost, path, body, nil)
}
