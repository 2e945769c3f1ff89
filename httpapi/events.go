package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd/live"
)

// eventsKeepAlive is how often an idle event stream gets a comment line, so
// proxies and browsers keep the connection open and notice when it drops.
const eventsKeepAlive = 15 * time.Second

// handleEvents streams live events (server.updated, service.changed,
// alert.changed, action.changed, check.changed) as server-sent events until the client
// goes away. Each event's data is the JSON of live.Event.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The stream outlives any write timeout the server may set.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	events := s.events.Subscribe(r.Context())
	// retry: how long the browser waits before reconnecting on its own.
	if _, err := fmt.Fprint(w, "retry: 2000\n: connected\n\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(eventsKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-s.shutdown:
			return // the hub is stopping: end the stream so shutdown need not wait
		case <-r.Context().Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			// Write what else is queued too, then flush once: a burst (a
			// fleet's heartbeats, one event per stored report) costs one
			// write to the socket, not one per event (at most 64 per flush).
			for n, more := 0, true; more && n < 64; n++ {
				if !s.writeEvent(w, e) {
					return
				}
				select {
				case e, more = <-events:
				default:
					more = false
				}
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// writeEvent writes one event of the stream (nothing for an internal one);
// false when the client is gone.
func (s *Server) writeEvent(w http.ResponseWriter, e live.Event) bool {
	if e.Internal() {
		return true
	}
	data, err := json.Marshal(e)
	if err != nil {
		s.logger.Error("encode live event", "type", e.Type, "err", err)
		return true
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, data)
	return err == nil
}
