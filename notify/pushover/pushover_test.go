package pushover_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
	"github.com/homelabcmd/homelabcmd/notify/pushover"
)

const (
	appToken = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
	userKey  = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
)

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	n, err := pushover.New(pushover.Config{APIURL: base, Token: appToken, UserKey: userKey}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{appToken, userKey}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

// receiver speaks Pushover's API: messages.json answers {"status":1,…}
// (with a receipt for an emergency) or 400 with {"status":0,"errors":[…]};
// cancel_by_tag answers {"status":1,"canceled":n}.
type receiver struct {
	mu       sync.Mutex
	messages []pushover.Message
	canceled []string
}

func (rc *receiver) start(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		var m pushover.Message
		_ = json.Unmarshal(b, &m)
		w.Header().Set("Content-Type", "application/json")
		if m.Token != appToken {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"token":"invalid","errors":["application token is invalid"],"status":0,"request":"r1"}`)
			return
		}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/1/messages.json":
			if m.User != userKey || m.Message == "" || (m.Priority == 2 && (m.Retry < 30 || m.Expire == 0)) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"errors":["invalid"],"status":0,"request":"r2"}`)
				return
			}
			rc.messages = append(rc.messages, m)
			_, _ = io.WriteString(w, `{"status":1,"request":"r3","receipt":"rcpt"}`)
		case r.Method == http.MethodPost && len(r.URL.Path) > len("/1/receipts/cancel_by_tag/"):
			rc.canceled = append(rc.canceled, r.URL.Path)
			_, _ = io.WriteString(w, `{"status":1,"canceled":1,"request":"r4"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPriorityBySeverity(t *testing.T) {
	rc := &receiver{}
	srv := rc.start(t)
	n, _ := newNotifier(t, srv.URL)
	for _, tt := range []struct {
		name, event, severity string
		want                  int
	}{
		{"critical is an emergency", notify.EventOpened, "critical", pushover.PriorityEmergency},
		{"high", notify.EventOpened, "high", pushover.PriorityHigh},
		{"medium", notify.EventReminder, "medium", pushover.PriorityNormal},
		{"resolved is quiet", notify.EventResolved, "high", pushover.PriorityQuiet},
		{"test", notify.EventTest, "low", pushover.PriorityNormal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := notifytest.Message()
			m.Event, m.Severity = tt.event, tt.severity
			if err := n.Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := rc.messages[len(rc.messages)-1]
			if got.Priority != tt.want || got.Title == "" || got.Timestamp != m.At.Unix() {
				t.Errorf("message = %+v, want priority %d", got, tt.want)
			}
			if emergency := tt.want == pushover.PriorityEmergency; emergency != (got.Retry == pushover.DefaultRetry && got.Expire == pushover.DefaultExpire && got.Tags == "homelabcmd-alert-42") {
				t.Errorf("retry/expire/tags = %d/%d/%q", got.Retry, got.Expire, got.Tags)
			}
		})
	}
}

func TestResolvedCriticalCancelsTheEmergency(t *testing.T) {
	rc := &receiver{}
	srv := rc.start(t)
	n, _ := newNotifier(t, srv.URL)
	m := notifytest.Message()
	m.Event = notify.EventResolved
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(rc.canceled) != 1 || rc.canceled[0] != "/1/receipts/cancel_by_tag/homelabcmd-alert-42.json" || len(rc.messages) != 1 {
		t.Errorf("canceled %q, messages %d", rc.canceled, len(rc.messages))
	}
}

func TestWrongTokenIsPermanent(t *testing.T) {
	rc := &receiver{}
	srv := rc.start(t)
	n, err := pushover.New(pushover.Config{APIURL: srv.URL, Token: "aWrongTokenButStillSecret0000", UserKey: userKey}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), notifytest.Message())
	if err == nil || notify.Retryable(err) {
		t.Fatalf("Notify = %v, want permanent", err)
	}
	notifytest.AssertNoSecret(t, err, []string{"aWrongTokenButStillSecret0000", userKey})
}

func TestValidate(t *testing.T) {
	c := pushover.Config{Token: "t", UserKey: "u"}
	if err := c.Validate(); err != nil || c.APIURL != pushover.DefaultAPIURL || c.EmergencyRetry != 60 || c.EmergencyExpire != 3600 {
		t.Errorf("defaults: %v %+v", err, c)
	}
	for _, tt := range []struct {
		name string
		cfg  pushover.Config
		want error
	}{
		{"no token", pushover.Config{UserKey: "u"}, pushover.ErrNoToken},
		{"no user", pushover.Config{Token: "t"}, pushover.ErrNoUserKey},
		{"retry too often", pushover.Config{Token: "t", UserKey: "u", EmergencyRetry: 10}, pushover.ErrRetry},
		{"expire too late", pushover.Config{Token: "t", UserKey: "u", EmergencyExpire: 20000}, pushover.ErrExpire},
		{"bad url", pushover.Config{APIURL: "x", Token: "t", UserKey: "u"}, pushover.ErrBadAPIURL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err != tt.want {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}
