package httpapi

import (
	"math"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// metricRanges maps the contract's ranges to a window and a bucket size, so
// a chart gets a few hundred points whatever the range.
// Ranges of 7 days and more read the rollup tier (an hourly average is
// the 7-day chart's point), so they still have points after raw samples
// are pruned (retention_raw, 7 days by default).
var metricRanges = map[string]struct {
	window, bucket time.Duration
	label, tier    string
}{
	"24h": {24 * time.Hour, 5 * time.Minute, "5m", ""},
	"7d":  {7 * 24 * time.Hour, time.Hour, "1h", "hourly"},
	"30d": {30 * 24 * time.Hour, 4 * time.Hour, "4h", "hourly"},
	"12m": {365 * 24 * time.Hour, 24 * time.Hour, "1d", "daily"},
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	rng := r.URL.Query().Get("range")
	if rng == "" {
		rng = "24h"
	}
	spec, ok := metricRanges[rng]
	if !ok {
		s.writeError(w, r, homelabcmd.FieldError("query.range", "range must be one of 24h, 7d, 30d, 12m"))
		return
	}
	id := r.PathValue("id")
	if _, err := s.store.FindServer(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now().UTC()
	from := now.Add(-spec.window)
	var points []homelabcmd.MetricPoint
	if spec.tier != "" {
		// Rolled-up buckets, then raw samples newer than the last rollup.
		tier, err := s.store.MetricsTier(r.Context(), id, spec.tier, from, now)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		points = tier
		if len(tier) > 0 {
			from = tier[len(tier)-1].Timestamp.Add(rollupSize[spec.tier])
		}
	}
	raw, err := s.store.MetricsBetween(r.Context(), id, from, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	points = downsample(append(points, raw...), spec.bucket)
	writeJSON(w, http.StatusOK, map[string]any{"server_id": id, "range": rng, "resolution": spec.label,
		"data_points": points, "total_points": len(points)})
}

// rollupSize is the bucket of each rollup tier.
var rollupSize = map[string]time.Duration{"hourly": time.Hour, "daily": 24 * time.Hour}

// downsample averages points into fixed UTC buckets (nulls excluded), oldest
// first, rounded to 2 decimals.
func downsample(raw []homelabcmd.MetricPoint, bucket time.Duration) []homelabcmd.MetricPoint {
	type acc struct{ sum, n [3]float64 }
	out := []homelabcmd.MetricPoint{}
	var cur acc
	var start time.Time
	flush := func() {
		p := homelabcmd.MetricPoint{Timestamp: start}
		dst := []**float64{&p.CPUPercent, &p.MemoryPercent, &p.DiskPercent}
		for i := range 3 {
			if cur.n[i] > 0 {
				v := math.Round(cur.sum[i]/cur.n[i]*100) / 100
				*dst[i] = &v
			}
		}
		out = append(out, p)
	}
	for i, p := range raw {
		b := p.Timestamp.Truncate(bucket)
		if i == 0 || !b.Equal(start) {
			if i > 0 {
				flush()
			}
			start, cur = b, acc{}
		}
		for j, v := range []*float64{p.CPUPercent, p.MemoryPercent, p.DiskPercent} {
			if v != nil {
				cur.sum[j] += *v
				cur.n[j]++
			}
		}
	}
	if len(raw) > 0 {
		flush()
	}
	return out
}
