package hass

import (
	"context"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// syncAll publishes every server and removes the entities of servers
// that are gone.
func (b *Bridge) syncAll(ctx context.Context) {
	servers, err := b.fleet.ListServers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("home assistant: could not read the fleet", "err", err)
		}
		return
	}
	seen := map[string]bool{}
	for _, s := range servers {
		seen[s.ID] = true
		b.publishServer(ctx, s)
	}
	for id := range b.entities {
		if !seen[id] {
			b.removeServer(ctx, id)
		}
	}
}

// syncServer publishes one server, or removes it when it is gone.
func (b *Bridge) syncServer(ctx context.Context, id string) {
	s, err := b.fleet.FindServer(ctx, id)
	switch {
	case homelabcmd.ErrorCode(err) == homelabcmd.ENOTFOUND:
		b.removeServer(ctx, id)
	case err != nil:
		if ctx.Err() == nil {
			b.log.Warn("home assistant: could not read a server", "server", id, "err", err)
		}
	default:
		b.publishServer(ctx, s)
	}
}

// publishServer publishes a server's discovery configs (those that
// changed), removes entities it no longer has, then its states.
func (b *Bridge) publishServer(ctx context.Context, s *homelabcmd.Server) {
	all, err := b.fleet.ListExpectedServices(ctx, s.ID)
	if err != nil {
		if homelabcmd.ErrorCode(err) == homelabcmd.ENOTFOUND {
			b.removeServer(ctx, s.ID)
		} else if ctx.Err() == nil {
			b.log.Warn("home assistant: could not read a server's services", "server", s.ID, "err", err)
		}
		return
	}
	var services []*homelabcmd.ExpectedService
	for _, es := range all {
		if es.Enabled {
			services = append(services, es)
		}
	}
	m, err := b.fleet.LatestMetrics(ctx, s.ID)
	if err != nil {
		b.log.Warn("home assistant: could not read a server's metrics", "server", s.ID, "err", err)
		return
	}
	_, open, err := b.fleet.ListAlerts(ctx, homelabcmd.AlertFilter{ServerID: s.ID, Status: homelabcmd.AlertOpen, Limit: 1})
	if err != nil {
		b.log.Warn("home assistant: could not count a server's alerts", "server", s.ID, "err", err)
		return
	}

	topics := map[string]struct{}{}
	for _, e := range b.Entities(s, services) {
		topics[e.Topic] = struct{}{}
		b.publish(ctx, e.Topic, encode(e.Config))
	}
	st := ServerState{Online: "OFF", Status: s.Status, OpenAlerts: open}
	if s.Status == homelabcmd.ServerOnline {
		st.Online = "ON"
	}
	if m != nil && time.Since(m.Timestamp) < 24*time.Hour {
		st.CPUPercent, st.MemoryPercent, st.DiskPercent = round1(m.CPUPercent), round1(m.MemoryPercent), round1(m.DiskPercent)
	}
	topics[b.serverTopic(s.ID)] = struct{}{}
	b.publish(ctx, b.serverTopic(s.ID), encode(st))
	for _, es := range services {
		status := string(homelabcmd.StatusUnknown)
		if es.CurrentStatus != nil {
			status = string(es.CurrentStatus.Status)
		}
		t := b.serviceTopic(s.ID, es.ServiceName)
		topics[t] = struct{}{}
		b.publish(ctx, t, status)
	}
	for t := range b.entities[s.ID] {
		if _, still := topics[t]; !still {
			b.unpublish(ctx, t)
		}
	}
	b.entities[s.ID] = topics
}

// removeServer clears every retained topic of a server that is gone.
func (b *Bridge) removeServer(ctx context.Context, id string) {
	for t := range b.entities[id] {
		b.unpublish(ctx, t)
	}
	delete(b.entities, id)
}

// handlePress queues the restart a button asks for, when the unit is an
// enabled expected service of the server (the only units with buttons).
func (b *Bridge) handlePress(ctx context.Context, p press) {
	log := b.log.With("server", p.server, "unit", p.unit)
	services, err := b.fleet.ListExpectedServices(ctx, p.server)
	if err != nil {
		log.Warn("home assistant: restart button for an unknown server ignored", "err", err)
		return
	}
	expected := false
	for _, s := range services {
		expected = expected || (s.ServiceName == p.unit && s.Enabled)
	}
	if !expected {
		log.Warn("home assistant: restart button for a unit that is not an enabled expected service ignored")
		return
	}
	a, err := b.restart.CreateRestart(ctx, p.server, p.unit, Actor)
	if err != nil {
		log.Warn("home assistant: restart refused", "err", err)
		return
	}
	log.Info("home assistant: restart queued", "action_id", a.ID, "status", a.Status)
}
