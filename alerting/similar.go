package alerting

import (
	"slices"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// SimilarUnits returns up to n of the units (names the agent can see) that
// look like name, closest first: the ones an operator who made a typo
// ("plexx", "plex" for "plexmediaserver") most likely meant. Names compare
// without their ".service" suffix and case; a unit is similar when one
// name contains the other or their edit distance is small for their length
// (one edit in up to 5 characters, two in 6 to 8, …).
func SimilarUnits(name string, units []string, n int) []string {
	base := func(s string) string { return strings.ToLower(strings.TrimSuffix(homelabcmd.UnitName(s), ".service")) }
	want, full := base(name), homelabcmd.UnitName(name)
	type scored struct {
		name string
		d    int
	}
	var out []scored
	for _, u := range units {
		got := base(u)
		if homelabcmd.UnitName(u) == full || got == "" {
			continue
		}
		d := editDistance(want, got)
		switch {
		case d <= max(1, min(len(want), len(got))/3):
		case len(want) >= 3 && strings.Contains(got, want), len(got) >= 3 && strings.Contains(want, got):
			d = max(len(got), len(want)) - min(len(got), len(want)) // after the typos
		default:
			continue
		}
		out = append(out, scored{u, d})
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	names := make([]string, 0, min(n, len(out)))
	for _, s := range out[:min(n, len(out))] {
		names = append(names, s.name)
	}
	return names
}

// editDistance is the optimal-string-alignment distance of two short
// strings: Levenshtein, with a swap of two neighbours ("smdb") counting
// as one edit.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
