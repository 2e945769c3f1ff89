package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

func TestPreferences(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		if r := a.op("GET", "/api/v1/preferences/dashboard", nil); !strings.Contains(string(r.Body), `"section_order":["servers","workstations"]`) {
			t.Fatalf("defaults: %s", r.Body)
		}
		expectStatus(t, a.op("PUT", "/api/v1/preferences/card-order", map[string]any{"servers": []string{"b", "a"}, "workstations": []string{"w"}}), 200)
		expectStatus(t, a.op("PUT", "/api/v1/preferences/collapsed-sections", map[string]any{"collapsed": []string{"workstations"}}), 200)
		expectFieldError(t, a.op("PUT", "/api/v1/preferences/collapsed-sections", map[string]any{"collapsed": []string{"kitchen"}}), "body.collapsed")
		expectFieldError(t, a.op("PUT", "/api/v1/preferences/card-order", map[string]any{"servers": []string{"Not An Id"}}), "body.servers")
		r := a.op("GET", "/api/v1/preferences/card-order", nil)
		if string(r.Body) != `{"servers":["b","a"],"workstations":["w"]}`+"\n" && string(r.Body) != `{"servers":["b","a"],"workstations":["w"]}` {
			t.Fatalf("card order = %s", r.Body)
		}
		// Another caller (a viewer token) has its own.
		_, secret, err := a.db.CreateAPIToken(context.Background(), homelabcmd.APIToken{Name: "tv", Role: homelabcmd.RoleViewer, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		viewer := func(method, path string, body any) response {
			return a.do(method, path, body, "Authorization", "Bearer "+secret)
		}
		if r := viewer("GET", "/api/v1/preferences/card-order", nil); strings.Contains(string(r.Body), `"b"`) {
			t.Fatalf("the viewer sees the operator's order: %s", r.Body)
		}
		expectStatus(t, viewer("PUT", "/api/v1/preferences/dashboard", map[string]any{"section_order": []string{"workstations", "servers"}}), 200)
		if r := viewer("GET", "/api/v1/preferences/section-order", nil); !strings.Contains(string(r.Body), `["workstations","servers"]`) {
			t.Fatalf("viewer's section order = %s", r.Body)
		}
		if r := a.op("GET", "/api/v1/preferences/dashboard", nil); !strings.Contains(string(r.Body), `"section_order":["servers","workstations"]`) ||
			!strings.Contains(string(r.Body), `"collapsed_sections":["workstations"]`) {
			t.Fatalf("operator's preferences changed: %s", r.Body)
		}
	})
}
