package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
)

// AlertingStore keeps alerts, thresholds and notification channels.
type AlertingStore interface {
	ListAlerts(ctx context.Context, f homelabcmd.AlertFilter) ([]*homelabcmd.Alert, int, error)
	FindAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error)
	ListChannels(ctx context.Context) ([]homelabcmd.Channel, error)
	FindChannel(ctx context.Context, id int64) (*homelabcmd.Channel, error)
	DeleteChannel(ctx context.Context, id int64) error
	PendingBreaches(ctx context.Context, metrics []string) ([]homelabcmd.PendingBreach, error)
}

// alertResponse is an alert as the contract shows it.
type alertResponse struct {
	*homelabcmd.Alert
	ServerName     string `json:"server_name"`
	CanAcknowledge bool   `json:"can_acknowledge"`
	CanResolve     bool   `json:"can_resolve"`
}

func newAlertResponse(a *homelabcmd.Alert, serverName string) alertResponse {
	return alertResponse{Alert: a, ServerName: serverName, CanAcknowledge: a.Status == homelabcmd.AlertOpen,
		CanResolve: a.Status != homelabcmd.AlertResolved}
}

func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, homelabcmd.FieldError("path."+name, "%s id must be a positive integer", what)
	}
	return id, nil
}

func oneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return homelabcmd.FieldError(field, "must be one of %v", allowed)
}

func (s *Server) serverNames(ctx context.Context) (map[string]string, error) {
	list, err := s.store.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, srv := range list {
		out[srv.ID] = srv.Name()
	}
	return out, nil
}

func (s *Server) handleListAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := homelabcmd.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), ServerID: q.Get("server_id"), AlertType: q.Get("alert_type")}
	err := oneOf("query.status", f.Status, homelabcmd.AlertOpen, homelabcmd.AlertAcknowledged, homelabcmd.AlertResolved)
	if err == nil {
		err = oneOf("query.severity", f.Severity, homelabcmd.SeverityCritical, homelabcmd.SeverityHigh, homelabcmd.SeverityMedium, homelabcmd.SeverityLow)
	}
	if err == nil {
		err = oneOf("query.alert_type", f.AlertType, homelabcmd.AlertKindNames()...)
	}
	if err == nil {
		f.Limit, err = queryInt(q.Get("limit"), "limit", 50, 1, 100)
	}
	if err == nil {
		f.Offset, err = queryInt(q.Get("offset"), "offset", 0, 0, 1<<30)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.store.ListAlerts(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	names, err := s.serverNames(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]alertResponse, len(list))
	for i, a := range list {
		out[i] = newAlertResponse(a, names[a.ServerID])
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out, "total": total, "limit": f.Limit, "offset": f.Offset})
}

func (s *Server) handleGetAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "alid", "alert")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.store.FindAlert(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := a.ServerID
	if srv, err := s.store.FindServer(r.Context(), a.ServerID); err == nil {
		name = srv.Name()
	}
	writeJSON(w, http.StatusOK, newAlertResponse(a, name))
}

func (s *Server) handleAcknowledgeAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "alid", "alert")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.engine.AcknowledgeAlert(r.Context(), id, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "status": a.Status, "acknowledged_at": a.AcknowledgedAt, "acknowledged_by": a.AcknowledgedBy})
}

func (s *Server) handleResolveAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "alid", "alert")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.engine.ResolveAlert(r.Context(), id, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "status": a.Status, "resolved_at": a.ResolvedAt, "auto_resolved": a.AutoResolved, "resolved_by": a.ResolvedBy})
}

// testMessage is what POST …/channels/{cid}/test sends.
func testMessage(now time.Time) *notify.Message {
	return &notify.Message{ID: "test-" + strconv.FormatInt(now.UnixNano(), 36), Event: notify.EventTest, Severity: homelabcmd.SeverityLow,
		Title: "HomelabCmd Test", Text: "Notification channel configured successfully!", At: now.UTC()}
}

// handlePendingAlerts lists metric breaches still inside their sustain
// window (the original's GET /alerts/pending): what will alert, and when.
func (s *Server) handlePendingAlerts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	th, err := s.engine.Thresholds(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	breaches, err := s.store.PendingBreaches(ctx, homelabcmd.MetricKinds())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now().UTC()
	out := []map[string]any{}
	latest := map[string]*homelabcmd.MetricsSample{}
	for _, b := range breaches {
		m, ok := latest[b.ServerID]
		if !ok {
			if m, err = s.store.LatestMetrics(ctx, b.ServerID); err != nil {
				s.writeError(w, r, err)
				return
			}
			latest[b.ServerID] = m
		}
		rule, value := th.Metric(b.Metric), (*float64)(nil)
		if k, _ := homelabcmd.LookupAlertKind(b.Metric); m != nil && k.Metric != nil {
			value = k.Metric.Value(&m.Metrics)
		}
		severity := homelabcmd.SeverityHigh
		if value != nil && *value >= float64(rule.CriticalPercent) {
			severity = homelabcmd.SeverityCritical
		}
		elapsed := int(now.Sub(b.FirstBreachAt).Seconds())
		out = append(out, map[string]any{"server_id": b.ServerID, "server_name": b.ServerName, "metric_type": b.Metric,
			"current_value": value, "threshold_value": rule.HighPercent, "severity": severity, "first_breach_at": b.FirstBreachAt,
			"sustained_seconds": rule.SustainedSeconds, "elapsed_seconds": elapsed, "time_until_alert": max(0, rule.SustainedSeconds-elapsed)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": out, "total": len(out)})
}
