package agentcmd

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/homelabcmd/homelabcmd/agent"
	"github.com/homelabcmd/homelabcmd/client"
	"go.yaml.in/yaml/v3"
)

// claimRegistration trades a one-time registration token for this agent's
// token and GUID, and takes the mode and monitored services the operator
// chose for the token into c (services given with --services are kept).
// The hub's server id wins over the one asked for.
func claimRegistration(ctx context.Context, c *installConfig, token string) error {
	tlsCfg := &agent.Config{TLSCAFile: c.TLSCAFile, TLSInsecureSkipVerify: c.TLSInsecure}
	hc, err := tlsCfg.HTTPClient()
	if err != nil {
		return err
	}
	hub := client.New(c.HubURL)
	hub.HTTP = hc
	host, _ := os.Hostname()
	if host == "" {
		host = c.ServerID
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reg, err := hub.Register(ctx, token, c.ServerID, host)
	if err != nil {
		return fmt.Errorf("claiming the registration token at %s: %w", c.HubURL, err)
	}
	var given struct {
		Mode              string   `yaml:"mode"`
		MonitoredServices []string `yaml:"monitored_services"`
	}
	if err := yaml.Unmarshal([]byte(reg.ConfigYAML), &given); err != nil {
		return fmt.Errorf("the hub's config_yaml: %w", err)
	}
	c.ServerID, c.ServerGUID, c.APIToken, c.Mode = reg.ServerID, reg.ServerGUID, reg.APIToken, given.Mode
	seen := map[string]bool{}
	for _, s := range c.MonitoredServices {
		seen[s] = true
	}
	for _, s := range given.MonitoredServices {
		if !seen[s] {
			seen[s] = true
			c.MonitoredServices = append(c.MonitoredServices, s)
		}
	}
	return nil
}
