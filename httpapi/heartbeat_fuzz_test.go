package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// validatingStore is the part of a Store the heartbeat handler reaches with
// the operator key: Ingest validates first, as sqlstore's does, and keeps
// the heartbeat it accepted.
type validatingEngine struct {
	Engine
	accepted *homelabcmd.Heartbeat
}

func (s *validatingEngine) Ingest(_ context.Context, hb *homelabcmd.Heartbeat, _ homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error) {
	if err := hb.Validate(); err != nil {
		return nil, err
	}
	s.accepted = hb
	return &homelabcmd.IngestResult{ServerID: hb.ServerID, ExpectedServices: []string{}}, nil
}

// decodeHeartbeat runs the handler's own decoding and validation.
func decodeHeartbeat(body []byte) (*homelabcmd.Heartbeat, error) {
	req := httptest.NewRequest("POST", "/api/v1/agents/heartbeat", bytes.NewReader(body))
	req.Header.Set("X-API-Key", "an agent's key") // agents may send any Content-Type
	var hb homelabcmd.Heartbeat
	if err := decodeJSON(httptest.NewRecorder(), req, &hb); err != nil {
		return nil, err
	}
	return &hb, hb.Validate()
}

// FuzzHeartbeat sends arbitrary bodies through the real heartbeat handler
// and its decoder. It must never panic; a rejected body is a typed EINVALID
// or ETOOLARGE error, answered with 422 or 413 in the contract's shapes; an
// accepted one round-trips through JSON unchanged and still validates.
// Seeds live in testdata/fuzz/FuzzHeartbeat.
func FuzzHeartbeat(f *testing.F) {
	f.Add([]byte(`{"server_id":"x","hostname":"x","timestamp":"2026-01-18T10:30:00Z"}`))
	const key = "fuzz-operator-key"
	store := &validatingEngine{}
	s := NewServer(nil, store, homelabcmd.HashSecret(key), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, body []byte) {
		hb, err := decodeHeartbeat(body)
		if err != nil {
			if c := homelabcmd.ErrorCode(err); c != homelabcmd.EINVALID && c != homelabcmd.ETOOLARGE {
				t.Fatalf("rejected with %q (%v), want EINVALID or ETOOLARGE", c, err)
			}
			if homelabcmd.ErrorMessage(err) == "" {
				t.Fatalf("error without a message: %v", err)
			}
		}

		store.accepted = nil
		req := httptest.NewRequest("POST", "/api/v1/agents/heartbeat", bytes.NewReader(body))
		req.Header.Set("X-API-Key", key)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		checkHeartbeatAnswer(t, rec, err)
		if err != nil {
			return
		}
		if store.accepted == nil || !reflect.DeepEqual(store.accepted, hb) {
			t.Fatalf("handler ingested %+v, decoder gave %+v", store.accepted, hb)
		}

		// Round trip: what we accepted encodes to JSON that decodes to the same.
		enc, err := json.Marshal(hb)
		if err != nil {
			t.Fatalf("accepted heartbeat does not encode: %v", err)
		}
		again, err := decodeHeartbeat(enc)
		if err != nil {
			t.Fatalf("accepted %s but its encoding %s is rejected: %v", body, enc, err)
		}
		if !reflect.DeepEqual(withoutEmptyLists(hb), withoutEmptyLists(again)) {
			t.Fatalf("round trip changed the heartbeat:\n%+v\n%+v", hb, again)
		}
		if enc2, _ := json.Marshal(again); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// withoutEmptyLists makes empty lists nil: the omitempty lists of Heartbeat
// encode [] as absent, so only nil survives a round trip. (Ingest treats an
// absent filesystems or network_interfaces list as "keep the snapshot" and []
// as "replace it with nothing"; Go callers cannot send the latter.)
func withoutEmptyLists(h *homelabcmd.Heartbeat) *homelabcmd.Heartbeat {
	c := *h
	if len(c.Services) == 0 {
		c.Services = nil
	}
	if len(c.Filesystems) == 0 {
		c.Filesystems = nil
	}
	if len(c.NetworkInterfaces) == 0 {
		c.NetworkInterfaces = nil
	}
	return &c
}

// checkHeartbeatAnswer checks the status and body shape for decodeErr.
func checkHeartbeatAnswer(t *testing.T, rec *httptest.ResponseRecorder, decodeErr error) {
	t.Helper()
	want := http.StatusOK
	switch homelabcmd.ErrorCode(decodeErr) {
	case homelabcmd.EINVALID:
		want = http.StatusUnprocessableEntity
	case homelabcmd.ETOOLARGE:
		want = http.StatusRequestEntityTooLarge
	}
	if rec.Code != want {
		t.Fatalf("status %d, want %d (decoder said %v): %s", rec.Code, want, decodeErr, rec.Body)
	}
	var body struct {
		Status string          `json:"status"`
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("answer is not JSON: %s", rec.Body)
	}
	if want == http.StatusOK {
		if body.Status != "ok" {
			t.Fatalf("answer %s", rec.Body)
		}
		return
	}
	var list []struct {
		Type string `json:"type"`
		Loc  []any  `json:"loc"`
		Msg  string `json:"msg"`
	}
	var one struct{ Code, Message string }
	if json.Unmarshal(body.Detail, &list) == nil {
		if len(list) == 0 || list[0].Type == "" || len(list[0].Loc) == 0 || list[0].Msg == "" {
			t.Fatalf("bad validation list: %s", rec.Body)
		}
	} else if json.Unmarshal(body.Detail, &one) != nil || one.Code == "" || one.Message == "" {
		t.Fatalf("bad error body: %s", rec.Body)
	}
}
