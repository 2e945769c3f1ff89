package hub

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// CreateChannel validates a notification channel (its provider config
// through notify/registry, defaults filled in, a target the notify guard
// allows) and stores it. EINVALID, ECONFLICT (name).
func (e *Engine) CreateChannel(ctx context.Context, c *homelabcmd.Channel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	cfg, err := registry.Normalize(c.Type, c.Config)
	if err != nil {
		return err
	}
	c.Config = cfg
	if err := registry.CheckTarget(c.Type, c.Config, e.guard); err != nil {
		return err
	}
	return e.store.InTx(ctx, func(tx homelabcmd.Tx) error { return tx.InsertChannel(ctx, c) })
}

// UpdateChannel applies a partial update. A config that repeats the masked
// secrets of a GET keeps the stored ones while its target (host, port)
// stays the same; a new target needs the secrets again (EINVALID).
// ENOTFOUND, EINVALID, ECONFLICT.
func (e *Engine) UpdateChannel(ctx context.Context, id int64, upd homelabcmd.ChannelUpdate) (*homelabcmd.Channel, error) {
	var out *homelabcmd.Channel
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		c, err := tx.FindChannel(ctx, id)
		if err != nil {
			return err
		}
		if err := c.Apply(upd); err != nil {
			return err
		}
		if len(upd.Config) > 0 && string(upd.Config) != "null" {
			if c.Config, err = registry.KeepSecrets(c.Type, upd.Config, c.Config); err != nil {
				return err
			}
			if err := registry.CheckTarget(c.Type, c.Config, e.guard); err != nil {
				return err
			}
		}
		if err := tx.UpdateChannel(ctx, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}
