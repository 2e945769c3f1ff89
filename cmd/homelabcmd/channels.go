package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/notify"
)

// applyChannelsFile creates or updates the channels the file declares (by
// name); channels made through the API are left alone.
func (h *Hub) applyChannelsFile(ctx context.Context) error {
	if h.Config.ChannelsFile == "" {
		return nil
	}
	specs, err := config.LoadChannels(h.Config.ChannelsFile)
	if err != nil {
		return err
	}
	existing, err := h.DB.ListChannels(ctx)
	if err != nil {
		return err
	}
	byName := map[string]homelabcmd.Channel{}
	for _, c := range existing {
		byName[c.Name] = c
	}
	for _, s := range specs {
		cfg, err := json.Marshal(s.Config)
		if err != nil {
			return fmt.Errorf("channels file: %s: config: %w", s.Name, err)
		}
		if old, ok := byName[s.Name]; ok {
			upd := homelabcmd.ChannelUpdate{Config: cfg, SendResolved: s.SendResolved, Enabled: s.Enabled, ServerIDs: s.ServerIDs, AlertTypes: s.AlertTypes, Severities: s.Severities}
			if s.MinSeverity != "" {
				upd.MinSeverity = &s.MinSeverity
			}
			if old.Type != s.Type {
				return fmt.Errorf("channels file: %s: is a %s channel in the database, not %s; rename one of them", s.Name, old.Type, s.Type)
			}
			if _, err := h.Engine.UpdateChannel(ctx, old.ID, upd); err != nil {
				return fmt.Errorf("channels file: %s: %w", s.Name, err)
			}
			continue
		}
		c := notify.NewChannel(s.Name, s.Type, cfg)
		c.MinSeverity = s.MinSeverity
		if s.SendResolved != nil {
			c.SendResolved = *s.SendResolved
		}
		if s.Enabled != nil {
			c.Enabled = *s.Enabled
		}
		if s.ServerIDs != nil {
			c.ServerIDs = *s.ServerIDs
		}
		if s.AlertTypes != nil {
			c.AlertTypes = *s.AlertTypes
		}
		if s.Severities != nil {
			c.Severities = *s.Severities
		}
		if err := h.Engine.CreateChannel(ctx, c); err != nil {
			return fmt.Errorf("channels file: %s: %w", s.Name, err)
		}
	}
	h.Logger.Info("notification channels from file", "file", h.Config.ChannelsFile, "channels", len(specs))
	return nil
}
