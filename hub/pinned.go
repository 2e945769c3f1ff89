package hub

import (
	"maps"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// pinnable maps the thresholds that a configuration option can pin to a
// function copying that value from the configured defaults.
var pinnable = map[string]func(dst *alerting.Thresholds, from alerting.Thresholds){
	"server_offline_seconds": func(dst *alerting.Thresholds, from alerting.Thresholds) {
		dst.ServerOfflineSeconds = from.ServerOfflineSeconds
	},
}

// Pinned returns the thresholds pinned by the configuration, by their key
// in /config/thresholds.
func (e *Engine) Pinned() map[string]alerting.Pin { return maps.Clone(e.pinned) }

// applyPins puts the pinned values over stored thresholds.
func (e *Engine) applyPins(t *alerting.Thresholds) {
	for key := range e.pinned {
		if f := pinnable[key]; f != nil {
			f(t, e.alerting.Thresholds)
		}
	}
}

// checkPins refuses (EINVALID) a change of a pinned threshold.
func (e *Engine) checkPins(p alerting.ThresholdsPatch, current alerting.Thresholds) error {
	if pin, ok := e.pinned["server_offline_seconds"]; ok && p.ServerOfflineSeconds != nil && *p.ServerOfflineSeconds != current.ServerOfflineSeconds {
		return homelabcmd.FieldError("server_offline_seconds", "server_offline_seconds is set by %s (%s) and cannot be changed here; change it there", pin.Via, pin.Source)
	}
	return nil
}
