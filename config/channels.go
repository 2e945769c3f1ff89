package config

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// ChannelSpec is a notification channel declared in a YAML file, as an
// alternative to creating it through the API. Config holds the provider's
// settings (url, token, topic, smtp host …) exactly as the API takes them.
type ChannelSpec struct {
	Name         string `yaml:"name"`
	Type         string `yaml:"type"`
	MinSeverity  string `yaml:"min_severity"`
	SendResolved *bool  `yaml:"send_resolved"`
	Enabled      *bool  `yaml:"enabled"`
	// ServerIDs, AlertTypes and Severities limit the channel to these
	// servers, alert kinds and severities (routing); absent means every one.
	ServerIDs  *[]string      `yaml:"server_ids"`
	AlertTypes *[]string      `yaml:"alert_types"`
	Severities *[]string      `yaml:"severities"`
	Config     map[string]any `yaml:"config"`
}

// LoadChannels reads the channels file (a YAML list of channels).
func LoadChannels(path string) ([]ChannelSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("channels file: %w", err)
	}
	return ParseChannels(b)
}

// ParseChannels parses and checks a channels file's bytes; errors name the
// entry and the key. Provider settings are checked when stored.
func ParseChannels(b []byte) ([]ChannelSpec, error) {
	var out []ChannelSpec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("channels file: %v", err)
	}
	seen := map[string]bool{}
	for i, c := range out {
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("channels file: entry %d: name is required", i+1)
		case seen[c.Name]:
			return nil, fmt.Errorf("channels file: entry %d: name %q is used twice", i+1, c.Name)
		case c.Type == "":
			return nil, fmt.Errorf("channels file: %s: type is required (slack, discord, ntfy, gotify, email, webhook)", c.Name)
		case c.Config == nil:
			return nil, fmt.Errorf("channels file: %s: config is required", c.Name)
		}
		seen[c.Name] = true
	}
	return out, nil
}
