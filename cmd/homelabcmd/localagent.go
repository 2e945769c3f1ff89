package main

import (
	"context"
	"fmt"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent"
	"github.com/homelabcmd/homelabcmd/agent/agentcmd"
)

// configKeyLocalAgentGUID remembers the GUID of the hub's built-in agent, so
// that a token is only ever issued for the server the built-in agent owns.
const configKeyLocalAgentGUID = "local_agent_guid"

// startLocalAgent runs the built-in agent for the hub's own machine (unless
// local_agent is off). It posts to this hub's URL like any other agent: with
// the operator key when this process knows it, else with an agent token it
// issues to itself. A failure is logged; the hub runs on without it.
func (h *Hub) startLocalAgent(ctx context.Context) {
	if !h.Config.LocalAgent {
		return
	}
	logger := h.Logger.With("component", "local-agent")
	cfg, err := h.localAgentConfig(ctx)
	if err != nil {
		logger.Error("built-in agent not started", "err", err)
		return
	}
	a, closeUnits, err := agentcmd.Build(cfg, logger, false)
	if err != nil {
		logger.Error("built-in agent not started", "err", err)
		return
	}
	// The hub idles between heartbeats too: return each collection's
	// garbage (and the store's) to the OS rather than hold it as RSS.
	a.ReleaseMemory = true
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(runCtx)
	}()
	logger.Info("built-in agent watching this machine", "server_id", cfg.ServerID, "interval", cfg.HeartbeatInterval)
	h.stopLocalAgent = func() {
		cancel()
		<-done
		closeUnits()
	}
}

// localAgentConfig is the built-in agent's config: this hub's URL, the
// server id from local_server_id or the hostname, and a credential.
func (h *Hub) localAgentConfig(ctx context.Context) (*agent.Config, error) {
	cfg := agent.Defaults()
	cfg.HubURL = h.HTTP.URL()
	// Over loopback to this very process: the certificate names the hub's
	// public name, not 127.0.0.1.
	cfg.TLSInsecureSkipVerify = h.Config.TLSCert != ""
	cfg.ServerID = h.Config.LocalServerID
	if cfg.ServerID == "" {
		cfg.ServerID = agentcmd.Slug(cfg.Hostname)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = cfg.ServerID
	}
	// A configured key is stable; a generated one may be reset while the
	// hub runs (`homelabcmd key reset`), so then the agent has its own token.
	if h.Config.APIKey != "" {
		cfg.APIKey = h.Config.APIKey
	} else {
		guid, token, err := h.localAgentToken(ctx, cfg.ServerID, cfg.Hostname)
		if err != nil {
			return nil, err
		}
		cfg.ServerGUID, cfg.AgentToken = guid, token
	}
	// Outbox settings do not matter: the built-in agent keeps undelivered
	// heartbeats in memory, since it lives and dies with the hub.
	return cfg, cfg.Validate(false)
}

// localAgentToken issues a fresh agent token for the built-in agent's
// server (creating the server if needed). It refuses a server that another
// agent registered under the same id.
func (h *Hub) localAgentToken(ctx context.Context, serverID, hostname string) (guid, token string, err error) {
	guid, ok, err := h.DB.GetConfig(ctx, configKeyLocalAgentGUID)
	if err != nil {
		return "", "", err
	}
	if !ok {
		guid = homelabcmd.NewGUID()
		if err := h.DB.SetConfig(ctx, configKeyLocalAgentGUID, guid); err != nil {
			return "", "", err
		}
	}
	srv, err := h.DB.FindServer(ctx, serverID)
	if homelabcmd.IsNotFound(err) {
		srv = &homelabcmd.Server{ID: serverID, Hostname: hostname}
		err = h.DB.CreateServer(ctx, srv)
	}
	if err != nil {
		return "", "", err
	}
	if srv.GUID != nil && *srv.GUID != guid {
		return "", "", fmt.Errorf("server %q belongs to another agent; set local_server_id (--local-server-id) to another id", serverID)
	}
	token, err = h.DB.IssueAgentToken(ctx, serverID, guid)
	return guid, token, err
}
