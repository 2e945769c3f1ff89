package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/homelabcmd/homelabcmd"
)

// Dashboard preferences, saved per caller (a user, an API token, the
// operator key) in the config table, in the original's shapes:
//
//	card-order          {"servers": [ids], "workstations": [ids]}
//	section-order       {"sections": ["servers", "workstations"]}
//	collapsed-sections  {"collapsed": ["workstations"]}
//	dashboard           all three: {"card_order", "section_order", "collapsed_sections"}
type cardOrder struct {
	Servers      []string `json:"servers"`
	Workstations []string `json:"workstations"`
}

type sectionOrder struct {
	Sections []string `json:"sections"`
}

type collapsedSections struct {
	Collapsed []string `json:"collapsed"`
}

type dashboardPrefs struct {
	CardOrder         *cardOrder `json:"card_order,omitempty"`
	SectionOrder      []string   `json:"section_order,omitempty"`
	CollapsedSections []string   `json:"collapsed_sections,omitempty"`
}

var sectionNames = map[string]bool{"servers": true, "workstations": true}

func (c *cardOrder) validate() error {
	for _, list := range [][]string{c.Servers, c.Workstations} {
		if len(list) > 1000 {
			return homelabcmd.FieldError("servers", "at most 1000 servers per section")
		}
		for _, id := range list {
			if homelabcmd.ValidateServerID(id) != nil {
				return homelabcmd.FieldError("servers", "%q is not a server id", id)
			}
		}
	}
	if c.Servers == nil {
		c.Servers = []string{}
	}
	if c.Workstations == nil {
		c.Workstations = []string{}
	}
	return nil
}

func validSections(field string, list []string) error {
	if len(list) > len(sectionNames) {
		return homelabcmd.FieldError(field, "at most %d sections", len(sectionNames))
	}
	for _, s := range list {
		if !sectionNames[s] {
			return homelabcmd.FieldError(field, "unknown section %q; one of servers, workstations", s)
		}
	}
	return nil
}

// prefKey is the config key of one preference of the caller.
func prefKey(ctx context.Context, name string) string {
	p := homelabcmd.PrincipalFrom(ctx)
	who := "u" + strconv.FormatInt(p.UserID, 10)
	if p.Kind != homelabcmd.PrincipalUser || p.UserID == 0 {
		sum := sha256.Sum256([]byte(p.Kind + "\x00" + p.Name))
		who = p.Kind + "-" + hex.EncodeToString(sum[:8])
	}
	return "prefs/" + who + "/" + name
}

func (s *Server) loadPref(ctx context.Context, name string, into any) error {
	raw, found, err := s.store.GetConfig(ctx, prefKey(ctx, name))
	if err != nil || !found {
		return err
	}
	return json.Unmarshal([]byte(raw), into)
}

func (s *Server) savePref(ctx context.Context, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.store.SetConfig(ctx, prefKey(ctx, name), string(b))
}

// preferences returns the caller's preferences with defaults filled in.
func (s *Server) preferences(ctx context.Context) (cardOrder, sectionOrder, collapsedSections, error) {
	co := cardOrder{Servers: []string{}, Workstations: []string{}}
	so := sectionOrder{Sections: []string{"servers", "workstations"}}
	cs := collapsedSections{Collapsed: []string{}}
	for _, p := range []struct {
		name string
		v    any
	}{{"card-order", &co}, {"section-order", &so}, {"collapsed-sections", &cs}} {
		if err := s.loadPref(ctx, p.name, p.v); err != nil {
			return co, so, cs, err
		}
	}
	return co, so, cs, nil
}

// handlePreference returns the GET handler of one preference.
func (s *Server) handleGetPreference(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		co, so, cs, err := s.preferences(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		switch name {
		case "card-order":
			writeJSON(w, http.StatusOK, co)
		case "section-order":
			writeJSON(w, http.StatusOK, so)
		case "collapsed-sections":
			writeJSON(w, http.StatusOK, cs)
		default:
			writeJSON(w, http.StatusOK, dashboardPrefs{CardOrder: &co, SectionOrder: so.Sections, CollapsedSections: cs.Collapsed})
		}
	}
}

// handlePutPreference returns the PUT handler of one preference; dashboard
// writes the parts it is given.
func (s *Server) handlePutPreference(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var err error
		switch name {
		case "card-order":
			var v cardOrder
			if err = decodeJSON(w, r, &v); err == nil {
				if err = v.validate(); err == nil {
					err = s.savePref(ctx, name, v)
				}
			}
		case "section-order":
			var v sectionOrder
			if err = decodeJSON(w, r, &v); err == nil {
				if err = validSections("sections", v.Sections); err == nil {
					err = s.savePref(ctx, name, v)
				}
			}
		case "collapsed-sections":
			var v collapsedSections
			if err = decodeJSON(w, r, &v); err == nil {
				if err = validSections("collapsed", v.Collapsed); err == nil {
					err = s.savePref(ctx, name, v)
				}
			}
		default:
			err = s.putDashboardPrefs(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.handleGetPreference(name)(w, r)
	}
}

func (s *Server) putDashboardPrefs(w http.ResponseWriter, r *http.Request) error {
	var v dashboardPrefs
	if err := decodeJSON(w, r, &v); err != nil {
		return err
	}
	if v.CardOrder != nil {
		if err := v.CardOrder.validate(); err != nil {
			return err
		}
	}
	if err := validSections("section_order", v.SectionOrder); err != nil {
		return err
	}
	if err := validSections("collapsed_sections", v.CollapsedSections); err != nil {
		return err
	}
	ctx := r.Context()
	if v.CardOrder != nil {
		if err := s.savePref(ctx, "card-order", v.CardOrder); err != nil {
			return err
		}
	}
	if v.SectionOrder != nil {
		if err := s.savePref(ctx, "section-order", sectionOrder{Sections: v.SectionOrder}); err != nil {
			return err
		}
	}
	if v.CollapsedSections != nil {
		return s.savePref(ctx, "collapsed-sections", collapsedSections{Collapsed: v.CollapsedSections})
	}
	return nil
}
