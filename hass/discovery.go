package hass

import (
	"encoding/json"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// Entity is one Home Assistant entity of a server, as MQTT discovery
// announces it: Config is published, retained, on Topic.
type Entity struct {
	Topic  string
	Config map[string]any
}

// slug makes a string usable as a discovery node or object ID
// ([a-zA-Z0-9_-]) and in a unique ID.
func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// Topics of one bridge.
func (b *Bridge) statusTopic() string          { return b.opts.TopicPrefix + "/status" }
func (b *Bridge) serverTopic(id string) string { return b.opts.TopicPrefix + "/" + id + "/state" }
func (b *Bridge) serviceTopic(id, unit string) string {
	return b.opts.TopicPrefix + "/" + id + "/service/" + unit + "/state"
}
func (b *Bridge) restartTopic(id, unit string) string {
	return b.opts.TopicPrefix + "/" + id + "/service/" + unit + "/restart"
}

// commandFilter matches every restart button's command topic.
func (b *Bridge) commandFilter() string { return b.opts.TopicPrefix + "/+/service/+/restart" }

// parseCommand returns the server and unit of a restart command topic.
func (b *Bridge) parseCommand(topic string) (server, unit string, ok bool) {
	rest, ok := strings.CutPrefix(topic, b.opts.TopicPrefix+"/")
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || parts[1] != "service" || parts[3] != "restart" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// Entities returns the discovery configs of a server and its enabled
// expected services: an online binary sensor, CPU, memory and disk
// sensors, an open-alerts sensor, and per service a running binary sensor
// and (when enabled) a restart button.
func (b *Bridge) Entities(srv *homelabcmd.Server, services []*homelabcmd.ExpectedService) []Entity {
	node := "homelabcmd_" + slug(srv.ID)
	device := map[string]any{"identifiers": []string{node}, "name": srv.Name(), "manufacturer": "homelabcmd", "model": model(srv)}
	if srv.AgentVersion != nil {
		device["sw_version"] = *srv.AgentVersion
	}
	if b.opts.ExternalURL != "" {
		device["configuration_url"] = strings.TrimRight(b.opts.ExternalURL, "/") + "/servers/" + srv.ID
	}
	origin := map[string]any{"name": "homelabcmd", "sw_version": homelabcmd.Version, "support_url": "https://github.com/homelabcmd/homelabcmd"}
	entity := func(component, object string, cfg map[string]any) Entity {
		cfg["unique_id"] = node + "_" + object
		cfg["device"] = device
		cfg["origin"] = origin
		cfg["availability_topic"] = b.statusTopic()
		cfg["payload_available"], cfg["payload_not_available"] = "online", "offline"
		cfg["qos"] = 1
		return Entity{Topic: b.opts.DiscoveryPrefix + "/" + component + "/" + node + "/" + object + "/config", Config: cfg}
	}
	state := b.serverTopic(srv.ID)
	metric := func(name, key, icon string) map[string]any {
		return map[string]any{"name": name, "state_topic": state, "value_template": "{{ value_json." + key + " }}",
			"unit_of_measurement": "%", "state_class": "measurement", "icon": icon, "suggested_display_precision": 1}
	}
	out := []Entity{
		entity("binary_sensor", "online", map[string]any{"name": "Online", "state_topic": state, "device_class": "connectivity",
			"value_template": "{{ value_json.online }}", "payload_on": "ON", "payload_off": "OFF"}),
		entity("sensor", "cpu", metric("CPU", "cpu_percent", "mdi:cpu-64-bit")),
		entity("sensor", "memory", metric("Memory", "memory_percent", "mdi:memory")),
		entity("sensor", "disk", metric("Disk", "disk_percent", "mdi:harddisk")),
		entity("sensor", "open_alerts", map[string]any{"name": "Open alerts", "state_topic": state, "value_template": "{{ value_json.open_alerts }}",
			"state_class": "measurement", "icon": "mdi:alert-circle-outline"}),
	}
	for _, s := range services {
		name := s.ServiceName
		if s.DisplayName != nil && *s.DisplayName != "" {
			name = *s.DisplayName
		}
		obj := "service_" + slug(s.ServiceName)
		out = append(out, entity("binary_sensor", obj, map[string]any{"name": name, "state_topic": b.serviceTopic(srv.ID, s.ServiceName),
			"device_class": "running", "value_template": "{{ 'ON' if value == 'running' else 'OFF' }}", "payload_on": "ON", "payload_off": "OFF",
			"icon": "mdi:cog"}))
		if b.opts.RestartButtons {
			out = append(out, entity("button", "restart_"+slug(s.ServiceName), map[string]any{"name": "Restart " + name,
				"command_topic": b.restartTopic(srv.ID, s.ServiceName), "payload_press": "PRESS", "device_class": "restart"}))
		}
	}
	return out
}

func model(srv *homelabcmd.Server) string {
	var parts []string
	for _, p := range []*string{srv.OSDistribution, srv.OSVersion} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	if len(parts) == 0 {
		return srv.MachineType
	}
	return strings.Join(parts, " ")
}

// ServerState is the JSON published on a server's state topic.
type ServerState struct {
	Online        string   `json:"online"` // ON or OFF
	Status        string   `json:"status"`
	CPUPercent    *float64 `json:"cpu_percent"`
	MemoryPercent *float64 `json:"memory_percent"`
	DiskPercent   *float64 `json:"disk_percent"`
	OpenAlerts    int      `json:"open_alerts"`
}

func encode(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
