package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestAlertsAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		now := time.Now().UTC()
		// The recovery hold would keep this one-second outage open for 10 s.
		expectStatus(t, a.op("PUT", "/api/v1/config/thresholds", map[string]any{"flapping": map[string]any{"recovery_hold_seconds": 0}}), 200)
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan", "display_name": "NAS"}), 201)
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/services", map[string]any{"service_name": "plex", "is_critical": true}), 201)
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, svc("plex", "stopped"))), 200)

		list := a.op("GET", "/api/v1/alerts?status=open&alert_type=service", nil)
		expectStatus(t, list, 200)
		var page struct {
			Alerts []map[string]any `json:"alerts"`
			Total  int              `json:"total"`
		}
		if err := json.Unmarshal(list.Body, &page); err != nil || page.Total != 1 || len(page.Alerts) != 1 {
			t.Fatalf("list = %s", list.Body)
		}
		al := page.Alerts[0]
		if al["service_name"] != "plex" || al["severity"] != "high" || al["server_name"] != "NAS" || al["can_acknowledge"] != true {
			t.Fatalf("alert = %v", al)
		}
		id := int64(al["id"].(float64))
		path := fmt.Sprintf("/api/v1/alerts/%d", id)

		// Acknowledge while the service is still down: allowed, idempotent.
		ack := a.op("POST", path+"/acknowledge", nil)
		expectStatus(t, ack, 200)
		first := ack.json(t)["acknowledged_at"]
		if by := ack.json(t)["acknowledged_by"]; by != homelabcmd.ActorAPIKey {
			t.Errorf("acknowledged_by = %v, want the caller's audit name", by)
		}
		if again := a.op("POST", path+"/acknowledge", nil).json(t); again["acknowledged_at"] != first || again["status"] != "acknowledged" {
			t.Fatalf("second acknowledge = %v", again)
		}
		// The service runs again: the acknowledged alert resolves by itself.
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now.Add(time.Second), svc("plex", "running"))), 200)
		got := a.op("GET", path, nil).json(t)
		if got["status"] != "resolved" || got["auto_resolved"] != true || got["can_resolve"] != false {
			t.Fatalf("after running: %v", got)
		}
		expectCode(t, a.op("POST", path+"/acknowledge", nil), 400, "INVALID_STATE")

		// Manual resolve of a new alert.
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now.Add(2*time.Second), svc("plex", "failed"))), 200)
		page.Alerts = nil
		_ = json.Unmarshal(a.op("GET", "/api/v1/alerts?status=open", nil).Body, &page)
		if len(page.Alerts) != 1 {
			t.Fatalf("open alerts after a second failure: %d", len(page.Alerts))
		}
		res := a.op("POST", fmt.Sprintf("/api/v1/alerts/%d/resolve", int64(page.Alerts[0]["id"].(float64))), nil).json(t)
		if res["status"] != "resolved" || res["auto_resolved"] != false || res["resolved_by"] != homelabcmd.ActorAPIKey {
			t.Fatalf("resolve = %v", res)
		}

		expectCode(t, a.op("GET", "/api/v1/alerts/999999", nil), 404, "NOT_FOUND")
		expectFieldError(t, a.op("GET", "/api/v1/alerts/abc", nil), "path.alid")
		expectFieldError(t, a.op("GET", "/api/v1/alerts?status=closed", nil), "query.status")
		expectFieldError(t, a.op("GET", "/api/v1/alerts?limit=101", nil), "query.limit")
		expectStatus(t, a.do("GET", "/api/v1/alerts", nil), 401)
	})
}

func TestThresholdsAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		got := a.op("GET", "/api/v1/config/thresholds", nil).json(t)
		if cpu := got["cpu"].(map[string]any); cpu["high_percent"] != 85.0 || cpu["sustained_seconds"] != 180.0 {
			t.Fatalf("defaults = %v", got)
		}
		put := a.op("PUT", "/api/v1/config/thresholds", map[string]any{"cpu": map[string]any{"high_percent": 80}, "server_offline_seconds": 300})
		expectStatus(t, put, 200)
		body := put.json(t)
		if fmt.Sprint(body["updated"]) != "[cpu.high_percent server_offline_seconds]" {
			t.Fatalf("updated = %v", body["updated"])
		}
		if th := a.op("GET", "/api/v1/config/thresholds", nil).json(t); th["server_offline_seconds"] != 300.0 {
			t.Fatalf("stored = %v", th)
		}
		expectFieldError(t, a.op("PUT", "/api/v1/config/thresholds", map[string]any{"disk": map[string]any{"critical_percent": 70}}), "body.disk.critical_percent")
		expectFieldError(t, a.op("PUT", "/api/v1/config/thresholds", map[string]any{"cpu": map[string]any{"high_percent": 101}}), "body.cpu.high_percent")
		expectFieldError(t, a.op("PUT", "/api/v1/config/thresholds", map[string]any{"server_offline_seconds": 10}), "body.server_offline_seconds")
	})
}

func TestAlertKindsAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		var body struct {
			Kinds []struct {
				Name         string  `json:"name"`
				Label        string  `json:"label"`
				PerService   bool    `json:"per_service"`
				ThresholdKey *string `json:"threshold_key"`
				Metric       *struct {
					Unit             string `json:"unit"`
					Field            string `json:"field"`
					HighPercent      int    `json:"high_percent"`
					SustainedSeconds int    `json:"sustained_seconds"`
				} `json:"metric"`
			} `json:"kinds"`
		}
		res := a.op("GET", "/api/v1/alerts/kinds", nil)
		expectStatus(t, res, 200)
		if err := json.Unmarshal(res.Body, &body); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, k := range body.Kinds {
			names = append(names, k.Name)
		}
		if fmt.Sprint(names) != "[service offline cpu memory disk reboot replayed unit systemd crashloop drift check container container_loop security_updates]" {
			t.Fatalf("kinds = %s", res.Body)
		}
		svc, off, disk := body.Kinds[0], body.Kinds[1], body.Kinds[4]
		if !svc.PerService || svc.Metric != nil || svc.ThresholdKey != nil || off.ThresholdKey == nil || *off.ThresholdKey != "server_offline_seconds" {
			t.Errorf("service, offline = %+v, %+v", svc, off)
		}
		if disk.Label != "Disk" || disk.Metric == nil || disk.Metric.Unit != "%" || disk.Metric.Field != "disk_percent" ||
			disk.Metric.HighPercent != 80 || disk.Metric.SustainedSeconds != 0 || *disk.ThresholdKey != "disk" {
			t.Errorf("disk = %+v %+v", disk, disk.Metric)
		}
		expectStatus(t, a.do("GET", "/api/v1/alerts/kinds", nil), 401)
	})
}

func TestChannelsAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		var hits atomic.Int32
		status := atomic.Int32{}
		status.Store(200)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			hits.Add(1)
			w.WriteHeader(int(status.Load()))
		}))
		defer rcv.Close()
		secretURL := rcv.URL + "/services/T0/B0/verysecrettoken"
		created := a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "ops", "type": "slack", "config": map[string]any{"webhook_url": secretURL}, "min_severity": "high"})
		expectStatus(t, created, 201)
		if strings.Contains(string(created.Body), "verysecrettoken") {
			t.Fatalf("create answer shows the secret: %s", created.Body)
		}
		ch := created.json(t)
		path := fmt.Sprintf("/api/v1/notifications/channels/%d", int64(ch["id"].(float64)))
		if ch["send_resolved"] != true || ch["enabled"] != true || ch["min_severity"] != "high" {
			t.Fatalf("channel = %v", ch)
		}
		list := a.op("GET", "/api/v1/notifications/channels", nil)
		if strings.Contains(string(list.Body), "verysecrettoken") || !strings.Contains(string(list.Body), `"total":1`) {
			t.Fatalf("list = %s", list.Body)
		}
		// Sending back the masked config keeps the secret: the test still reaches the receiver.
		masked := a.op("GET", path, nil).json(t)
		upd := a.op("PUT", path, map[string]any{"config": masked["config"], "send_resolved": false})
		expectStatus(t, upd, 200)
		if upd.json(t)["send_resolved"] != false {
			t.Fatalf("update = %s", upd.Body)
		}
		if r := a.op("POST", path+"/test", nil).json(t); r["success"] != true || hits.Load() != 1 {
			t.Fatalf("test = %v, hits %d", r, hits.Load())
		}
		status.Store(500)
		r := a.op("POST", path+"/test", nil)
		if body := r.json(t); body["success"] != false || body["retryable"] != true || strings.Contains(string(r.Body), "verysecrettoken") {
			t.Fatalf("failing test = %s", r.Body)
		}
		expectFieldError(t, a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "x", "type": "pager", "config": map[string]any{}}), "body.type")
		expectFieldError(t, a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "y", "type": "slack", "config": map[string]any{}}), "body.config")
		expectCode(t, a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "ops", "type": "slack", "config": map[string]any{"webhook_url": secretURL}}), 409, "CONFLICT")
		// Routing: a channel limited to servers and alert kinds.
		expectFieldError(t, a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "z", "type": "slack", "config": map[string]any{"webhook_url": secretURL}, "alert_types": []string{"pager"}}), "body.alert_types")
		limited := a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "nas-disk", "type": "slack", "config": map[string]any{"webhook_url": secretURL},
			"server_ids": []string{"nas"}, "alert_types": []string{"disk", "offline"}})
		expectStatus(t, limited, 201)
		if body := string(limited.Body); !strings.Contains(body, `"server_ids":["nas"]`) || !strings.Contains(body, `"alert_types":["disk","offline"]`) {
			t.Errorf("limited channel = %s", body)
		}
		var lc struct{ ID int64 }
		_ = json.Unmarshal(limited.Body, &lc)
		updated := a.op("PUT", fmt.Sprintf("/api/v1/notifications/channels/%d", lc.ID), map[string]any{"server_ids": []string{}})
		if expectStatus(t, updated, 200); !strings.Contains(string(updated.Body), `"server_ids":[]`) || !strings.Contains(string(updated.Body), `"alert_types":["disk","offline"]`) {
			t.Errorf("after clearing server_ids = %s", updated.Body)
		}
		expectStatus(t, a.op("DELETE", path, nil), 204)
		expectCode(t, a.op("GET", path, nil), 404, "NOT_FOUND")
	})
}

func TestProvidersAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		r := a.op("GET", "/api/v1/notifications/providers", nil)
		expectStatus(t, r, 200)
		var body struct {
			Providers []struct {
				Type   string `json:"type"`
				Fields []struct {
					Name      string `json:"name"`
					Secret    bool   `json:"secret"`
					Required  bool   `json:"required"`
					MinLength int    `json:"min_length"`
				} `json:"fields"`
			} `json:"providers"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range body.Providers {
			if p.Type != "webhook" {
				continue
			}
			for _, f := range p.Fields {
				if f.Name == "secret" && f.Secret && f.Required && f.MinLength == 16 {
					found = true
				}
			}
		}
		if len(body.Providers) != 10 || !found {
			t.Fatalf("providers = %s", r.Body)
		}
	})
}
