package alerting

import (
	"slices"
	"testing"
)

func TestSimilarUnits(t *testing.T) {
	units := []string{"plexmediaserver.service", "plex.service", "ssh.service", "sshd.service", "smbd.service", "nmbd.service",
		"docker.service", "containerd.service", "pihole-FTL.service", "cron.service"}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"plexx", []string{"plex.service"}},
		{"plex", []string{"plexmediaserver.service"}},
		{"shd", []string{"sshd.service"}},
		{"smdb.service", []string{"smbd.service"}},
		{"contanerd", []string{"containerd.service"}},
		{"pihole-ftl", []string{"pihole-FTL.service"}},
		{"dockr", []string{"docker.service"}},
		{"grafana", nil},
		{"x", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SimilarUnits(tc.name, units, 3); !slices.Equal(got, tc.want) {
				t.Fatalf("SimilarUnits(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
