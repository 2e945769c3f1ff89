package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// ClaimPath is where an agent trades a one-time registration token for its
// own credential.
const ClaimPath = "/api/v1/agents/register/claim"

// Registration is the hub's answer to a claim: the server the agent speaks
// for, its GUID and per-agent token, and a ready config file.
type Registration struct {
	ServerID   string `json:"server_id"`
	ServerGUID string `json:"server_guid"`
	APIToken   string `json:"api_token"`
	ConfigYAML string `json:"config_yaml"`
}

// Register claims a one-time registration token for serverID (the hub
// creates the server if needed). The token is the credential; the client's
// own key, if any, is not sent. Errors are *Error: 401 for an unknown
// token, 400 for one already claimed or expired, 422 for a bad server id.
func (c *Client) Register(ctx context.Context, token, serverID, hostname string) (*Registration, error) {
	body, err := json.Marshal(map[string]string{"token": token, "server_id": serverID, "hostname": hostname})
	if err != nil {
		return nil, err
	}
	anon := *c
	anon.APIKey, anon.AgentToken = "", ""
	var out Registration
	if err := anon.do(ctx, http.MethodPost, ClaimPath, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
