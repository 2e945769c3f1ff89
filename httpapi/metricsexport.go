package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// sparklinePeriods are the original's sparkline windows and about how
// many points each gets.
var sparklinePeriods = map[string]struct {
	window time.Duration
	points int
}{"30m": {30 * time.Minute, 30}, "1h": {time.Hour, 30}, "6h": {6 * time.Hour, 36}}

// handleSparkline is the original's GET /servers/{id}/metrics/sparkline:
// raw samples of one metric over 30m, 1h or 6h, stepped through to about
// 30-36 points, oldest first.
func (s *Server) handleSparkline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	metric, period := q.Get("metric"), q.Get("period")
	if metric == "" {
		metric = "cpu_percent"
	}
	if period == "" {
		period = "30m"
	}
	pick := map[string]func(p homelabcmd.MetricPoint) *float64{
		"cpu_percent":    func(p homelabcmd.MetricPoint) *float64 { return p.CPUPercent },
		"memory_percent": func(p homelabcmd.MetricPoint) *float64 { return p.MemoryPercent },
		"disk_percent":   func(p homelabcmd.MetricPoint) *float64 { return p.DiskPercent },
	}[metric]
	if pick == nil {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EINVALIDMETRIC, "Invalid metric '%s': use cpu_percent, memory_percent or disk_percent", metric))
		return
	}
	spec, ok := sparklinePeriods[period]
	if !ok {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EINVALIDPERIOD, "Invalid period '%s': use 30m, 1h or 6h", period))
		return
	}
	id := r.PathValue("id")
	if _, err := s.store.FindServer(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now().UTC()
	raw, err := s.store.MetricsBetween(r.Context(), id, now.Add(-spec.window), now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	step := max(1, len(raw)/spec.points)
	type point struct {
		Timestamp time.Time `json:"timestamp"`
		Value     *float64  `json:"value"`
	}
	data := []point{}
	for i := 0; i < len(raw); i += step {
		data = append(data, point{raw[i].Timestamp.UTC(), pick(raw[i])})
	}
	writeJSON(w, http.StatusOK, map[string]any{"server_id": id, "metric": metric, "period": period, "data": data})
}

// exportChunk is the time window read from the store at once while an
// export streams: memory stays bounded for any range.
const exportChunk = 24 * time.Hour

// handleMetricsExport is the original's GET /servers/{id}/metrics/export:
// range (required) 24h, 7d (raw samples) or 30d, 12m (hourly and daily
// averages), as CSV (default) or JSON, streamed as an attachment in
// chunks of a day, so a long range never sits in memory.
func (s *Server) handleMetricsExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rng, format := q.Get("range"), q.Get("format")
	if format == "" {
		format = "csv"
	}
	spec, ok := metricRanges[rng]
	if !ok {
		s.writeError(w, r, homelabcmd.FieldError("query.range", "range is required: one of 24h, 7d, 30d, 12m"))
		return
	}
	if format != "csv" && format != "json" {
		s.writeError(w, r, homelabcmd.FieldError("query.format", "format must be csv or json"))
		return
	}
	id := r.PathValue("id")
	srv, err := s.store.FindServer(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now().UTC()
	from := now.Add(-spec.window)
	tier := spec.tier
	if rng == "7d" {
		tier = "" // the original exports 7 d raw, not aggregated
	}
	avg := tier != ""
	// Longer than the usual write timeout for a large range.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(5 * time.Minute))
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+"-metrics-"+rng+"-"+now.Format("2006-01-02")+"."+format+`"`)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	flusher := http.NewResponseController(w)
	cw := csv.NewWriter(w)
	first := true
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	if format == "csv" {
		if avg {
			cw.Write([]string{"timestamp", "cpu_avg", "memory_avg", "disk_avg"})
		} else {
			cw.Write([]string{"timestamp", "cpu_percent", "memory_percent", "disk_percent"})
		}
	} else {
		head, _ := json.Marshal(map[string]any{"server_id": id, "server_name": srv.DisplayName, "range": rng, "exported_at": now})
		w.Write(head[:len(head)-1])
		w.Write([]byte(`,"data_points":[`))
	}
	for start := from; start.Before(now); start = start.Add(exportChunk) {
		end := start.Add(exportChunk)
		if end.After(now) {
			end = now.Add(time.Nanosecond) // include a sample stamped now
		}
		var pts []homelabcmd.MetricPoint
		if avg {
			pts, err = s.store.MetricsTier(r.Context(), id, tier, start, end.Add(-time.Nanosecond))
		} else {
			pts, err = s.store.MetricsBetween(r.Context(), id, start, end.Add(-time.Nanosecond))
		}
		if err != nil {
			s.logger.Error("metrics export", "server", id, "err", err)
			return // the status is sent: the truncated body shows it
		}
		for _, p := range pts {
			if format == "csv" {
				cw.Write([]string{p.Timestamp.UTC().Format(time.RFC3339), num(p.CPUPercent), num(p.MemoryPercent), num(p.DiskPercent)})
				continue
			}
			row := map[string]any{"timestamp": p.Timestamp.UTC(), "cpu_percent": p.CPUPercent, "memory_percent": p.MemoryPercent, "disk_percent": p.DiskPercent}
			if avg {
				row = map[string]any{"timestamp": p.Timestamp.UTC(), "cpu_avg": p.CPUPercent, "memory_avg": p.MemoryPercent, "disk_avg": p.DiskPercent}
			}
			b, _ := json.Marshal(row)
			if !first {
				w.Write([]byte(","))
			}
			first = false
			w.Write(b)
		}
		cw.Flush()
		_ = flusher.Flush()
	}
	if format == "json" {
		w.Write([]byte("]}"))
	}
	cw.Flush()
}
