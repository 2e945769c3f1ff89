package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// maxOpenBodyBytes bounds the body of a route anyone may call without a
// credential (sign-in, registration claim): such a body is read before we
// know who sent it, so it must be small (the review's 400 half-sent 1 MiB
// bodies took the hub to 1.1 GiB).
const maxOpenBodyBytes = 16 << 10

// headerCredential reports whether the request carries a credential in a
// header of its own (X-API-Key, X-Agent-Token). A browser cannot add such a
// header to a cross-site request without a CORS preflight, which the hub
// never grants, so these requests cannot be forged by another page.
func headerCredential(r *http.Request) bool {
	return r.Header.Get("X-API-Key") != "" || r.Header.Get("X-Agent-Token") != ""
}

// requireJSON refuses (415) a body that does not say application/json when
// the request could come from a browser: a form or a no-cors fetch can
// send text/plain or form bodies cross-site without a preflight, never
// application/json. Scripts that send X-API-Key keep working with any
// Content-Type (curl -d sends a form type), as the contract allows.
func requireJSON(r *http.Request) error {
	if headerCredential(r) {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	if ct == "" {
		ct = "none"
	}
	return homelabcmd.Errorf(homelabcmd.EMEDIATYPE, "Content-Type must be application/json (got %s)", ct)
}

// crossOrigin decides whether a browser request came from another origin,
// from Sec-Fetch-Site (or Origin against Host in older browsers); requests
// with neither header (curl, agents) pass.
var crossOrigin = http.NewCrossOriginProtection()

// checkSameOrigin refuses (403) a state-changing request whose browser says
// it came from another site or another origin on the same site: another
// app on the hub's host (another port) or a sibling subdomain is
// "same-site", so SameSite=Strict alone lets it send the cookie.
func checkSameOrigin(r *http.Request) error {
	if err := crossOrigin.Check(r); err != nil {
		return homelabcmd.Errorf(homelabcmd.EFORBIDDEN, "Cross-origin request refused: a signed-in browser may change things only from the hub's own pages")
	}
	return nil
}
