package matrix_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/matrix"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
)

const (
	accessToken = "syt_aG9tZWxhYg_SecretAccessToken_1a2b3c"
	roomID      = "!AbCdEf123:matrix.example.org"
)

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	n, err := matrix.New(matrix.Config{HomeserverURL: base, AccessToken: accessToken, RoomID: roomID}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{accessToken}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

// homeserver speaks the client-server API's send endpoint: a bearer token,
// PUT …/rooms/{roomId}/send/m.room.message/{txnId}, and a transaction ID
// seen before returns the event it made then instead of a second one.
type homeserver struct {
	mu     sync.Mutex
	events map[string]matrix.Event // by txnId
	order  []string
}

func (hs *homeserver) start(t *testing.T) *httptest.Server {
	hs.events = map[string]matrix.Event{}
	prefix := "/_matrix/client/v3/rooms/" + roomID + "/send/m.room.message/"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.mu.Lock()
		defer hs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+accessToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed."}`)
			return
		}
		if r.URL.RawPath != "" && !strings.Contains(r.URL.RawPath, "%21AbCdEf123:matrix.example.org") {
			t.Errorf("room not escaped in %s", r.URL.RawPath)
		}
		txn, ok := strings.CutPrefix(r.URL.Path, prefix)
		if r.Method != http.MethodPut || !ok || txn == "" || strings.Contains(txn, "/") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}`)
			return
		}
		var ev matrix.Event
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &ev); err != nil || ev.MsgType == "" || ev.Body == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errcode":"M_BAD_JSON","error":"Content not JSON."}`)
			return
		}
		if _, seen := hs.events[txn]; !seen {
			hs.events[txn] = ev
			hs.order = append(hs.order, txn)
		}
		_, _ = fmt.Fprintf(w, `{"event_id":"$ev-%s"}`, txn)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSendIsIdempotent(t *testing.T) {
	hs := &homeserver{}
	srv := hs.start(t)
	n, _ := newNotifier(t, srv.URL)
	m := notifytest.Message()
	m.Text = "Disk <sda1> at 97%"
	for range 2 { // a redelivery of the same message
		if err := n.Notify(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if len(hs.order) != 1 {
		t.Fatalf("events = %d, want 1 for one message sent twice", len(hs.order))
	}
	ev := hs.events[hs.order[0]]
	if ev.MsgType != "m.notice" || ev.Format != "org.matrix.custom.html" || !strings.HasPrefix(ev.Body, "Critical: DISK Usage Alert\n") ||
		!strings.HasPrefix(ev.FormattedBody, "<strong>Critical: DISK Usage Alert</strong><br>Disk &lt;sda1&gt;") {
		t.Errorf("event = %+v", ev)
	}
	if !strings.HasPrefix(hs.order[0], "homelabcmd-42-") {
		t.Errorf("txnId = %q, want it derived from the message id", hs.order[0])
	}
	m2 := notifytest.Message()
	m2.ID = "43"
	if err := n.Notify(context.Background(), m2); err != nil {
		t.Fatal(err)
	}
	if len(hs.order) != 2 {
		t.Errorf("events = %d, want a second message to make a second event", len(hs.order))
	}
}

func TestBadTokenIsPermanentAndHidden(t *testing.T) {
	hs := &homeserver{}
	srv := hs.start(t)
	n, err := matrix.New(matrix.Config{HomeserverURL: srv.URL, AccessToken: "syt_other_SecretToken_zzz", RoomID: roomID, MsgType: "m.text"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), notifytest.Message())
	if err == nil || notify.Retryable(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Notify = %v, want a permanent 401", err)
	}
	notifytest.AssertNoSecret(t, err, []string{"syt_other_SecretToken_zzz"})
}

func TestValidate(t *testing.T) {
	c := matrix.Config{HomeserverURL: "https://m.org/", AccessToken: "x", RoomID: "!a:m.org"}
	if err := c.Validate(); err != nil || c.MsgType != "m.notice" || c.HomeserverURL != "https://m.org" {
		t.Errorf("defaults: %v %+v", err, c)
	}
	for _, tt := range []struct {
		name string
		cfg  matrix.Config
		want error
	}{
		{"no homeserver", matrix.Config{AccessToken: "x", RoomID: "!a:m.org"}, matrix.ErrBadHomeserver},
		{"no token", matrix.Config{HomeserverURL: "https://m.org", RoomID: "!a:m.org"}, matrix.ErrNoAccessToken},
		{"alias", matrix.Config{HomeserverURL: "https://m.org", AccessToken: "x", RoomID: "#lab:m.org"}, matrix.ErrBadRoomID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err != tt.want {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
	if err := (&matrix.Config{HomeserverURL: "https://m.org", AccessToken: "x", RoomID: "!a:m.org", MsgType: "m.image"}).Validate(); err != matrix.ErrBadMsgType {
		t.Error("msgtype m.image accepted")
	}
}
