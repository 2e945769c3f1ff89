package hub

import "github.com/homelabcmd/homelabcmd"

// Observe hands the engine an event as its subscription in Run does.
func (e *Engine) Observe(ev homelabcmd.Event) { e.observe(ev) }
