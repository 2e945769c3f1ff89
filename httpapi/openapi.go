package httpapi

import (
	_ "embed"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// docsPage renders /api/openapi.json in the browser without any CDN.
//
//go:embed openapi_docs.html
var docsPage []byte

// handleOpenAPI serves the OpenAPI 3.1 document (open, no auth).
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	roles := map[string]Access{}
	for _, rt := range s.table {
		roles[rt.Pattern] = rt.Access
	}
	writeJSON(w, http.StatusOK, openAPIDocument(s.Version, roles))
}

// handleDocs serves the documentation page (open, no auth).
func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	_, _ = w.Write(docsPage)
}

// errorResponses names the shared error responses by status. 422 may carry
// either error shape: the field list, or {"detail":{...}} for a body that is
// not JSON at all.
var errorResponses = map[int]struct{ name, desc string }{
	400: {"BadRequest", "The request cannot be carried out (BAD_REQUEST)."},
	401: {"Unauthorized", "Missing or wrong credential (UNAUTHORIZED)."},
	403: {"Forbidden", "A valid credential used out of its scope (FORBIDDEN)."},
	404: {"NotFound", "No such entity (NOT_FOUND)."},
	408: {"RequestTimeout", "The remote command did not finish in time."},
	409: {"Conflict", "It exists already or is in the wrong state (CONFLICT)."},
	413: {"PayloadTooLarge", "The body is over 1 MiB (PAYLOAD_TOO_LARGE)."},
	429: {"TooManyRequests", "Rate limited; Retry-After says when to try again."},
	422: {"ValidationFailed", "Invalid input: a field list naming the offending input, or VALIDATION_ERROR for a malformed body."},
	500: {"InternalError", "Unexpected failure; details are only logged (INTERNAL_ERROR)."},
}

var pathParamRE = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// openAPIDocument builds the whole document from apiOperations; roles
// (from the route table) gives each operation's least role.
func openAPIDocument(version string, roles map[string]Access) map[string]any {
	paths := map[string]any{}
	for _, op := range slices.Concat(apiOperations(), alertOperations(), userOperations(), agentlessOperations(), agentDeployOperations(), checkOperations()) {
		op.Role = roles[op.Route]
		method, path, _ := strings.Cut(op.Route, " ")
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op.document(method, path)
	}
	tags := []any{}
	for _, t := range tagDocs {
		tags = append(tags, map[string]any{"name": t[0], "description": t[1]})
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "homelabcmd API",
			"version":     version,
			"description": "The homelabcmd hub's JSON API. Unknown request fields are ignored; bodies are limited to 1 MiB. Errors are {\"detail\":{\"code\",\"message\"}}, or for invalid input {\"detail\":[{\"type\",\"loc\",\"msg\"}]}.",
		},
		"tags":       tags,
		"paths":      paths,
		"components": openAPIComponents(),
	}
}

// document turns one table row into an OpenAPI operation object.
func (op operation) document(method, path string) map[string]any {
	out := map[string]any{
		"tags":        []any{op.Tag},
		"summary":     op.Summary,
		"operationId": operationID(method, path),
	}
	if op.Doc != "" {
		out["description"] = op.Doc
	}
	var params []any
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		desc := pathParamDocs[m[1]]
		if desc == "" {
			desc = "Path parameter " + m[1] + "."
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "description": desc, "schema": str()})
	}
	for _, q := range op.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "description": q.Desc, "schema": q.Schema})
	}
	if params != nil {
		out["parameters"] = params
	}
	errs := slices.Clone(op.Errors)
	switch op.Auth {
	case authOpen:
		out["security"] = []any{}
	case authOperator:
		out["security"] = []any{map[string]any{"apiKey": []any{}}, map[string]any{"bearerToken": []any{}}, map[string]any{"sessionCookie": []any{}}}
		errs = append(errs, 401, 403)
		if op.Role != "" {
			out["x-required-role"] = string(op.Role)
			out["description"] = strings.TrimSpace(op.Doc + " Needs the " + string(op.Role) + " role or higher.")
		}
	case authAgent:
		out["security"] = []any{map[string]any{"agentToken": []any{}, "agentGUID": []any{}}, map[string]any{"apiKey": []any{}}}
		errs = append(errs, 401)
	}
	if op.Body != nil {
		out["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": op.Body}}}
		errs = append(errs, 413, 422)
	}
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	if op.Result != nil {
		media := op.Content
		if media == "" {
			media = "application/json"
		}
		ok["content"] = map[string]any{media: map[string]any{"schema": op.Result}}
	}
	responses := map[string]any{strconv.Itoa(status): ok}
	for _, code := range append(errs, 500) {
		responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/" + errorResponses[code].name}
	}
	out["responses"] = responses
	return out
}

// operationID is the method and the path's words: "get_servers_id_services".
func operationID(method, path string) string {
	path = strings.TrimPrefix(strings.TrimPrefix(path, "/api"), "/v1")
	words := strings.FieldsFunc(path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	return strings.ToLower(method) + "_" + strings.Join(words, "_")
}

// errorCodes lists the detail.code values writeError can send.
func errorCodes() []any {
	var codes []string
	for _, m := range errorStatus {
		codes = append(codes, m.code)
	}
	slices.Sort(codes)
	out := make([]any, len(codes))
	for i, c := range codes {
		out[i] = c
	}
	return out
}

// openAPIComponents holds the schemas, shared error responses and security
// schemes. Domain types are generated from their Go definitions.
func openAPIComponents() map[string]any {
	g := newSchemaGen(schemaExtras)
	add[homelabcmd.Filesystem](g, "Filesystem")
	add[homelabcmd.NetworkInterface](g, "NetworkInterface")
	add[homelabcmd.Metrics](g, "Metrics")
	add[homelabcmd.OSInfo](g, "OSInfo")
	add[homelabcmd.CPUInfo](g, "CPUInfo")
	add[homelabcmd.ServiceReport](g, "ServiceReport")
	add[homelabcmd.ContainerReport](g, "ContainerReport")
	add[homelabcmd.ContainerDetail](g, "ContainerDetail")
	add[homelabcmd.ContainerView](g, "ContainerView")
	add[homelabcmd.PendingCommand](g, "PendingCommand")
	add[homelabcmd.Heartbeat](g, "Heartbeat")
	add[homelabcmd.HeartbeatResponse](g, "HeartbeatResponse")
	add[homelabcmd.MetricsSample](g, "MetricsSample")
	add[homelabcmd.ServiceSummary](g, "ServiceSummary")
	add[homelabcmd.ServerOverview](g, "ServerResponse")
	add[homelabcmd.ServerUpdate](g, "ServerUpdate")
	add[homelabcmd.CurrentStatus](g, "CurrentStatus")
	add[homelabcmd.ExpectedService](g, "ExpectedService")
	add[homelabcmd.ExpectedServiceUpdate](g, "ExpectedServiceUpdate")
	add[homelabcmd.ServiceStatus](g, "ServiceStatus")
	add[homelabcmd.MetricPoint](g, "MetricPoint")
	add[homelabcmd.RegistrationToken](g, "RegistrationToken")
	add[homelabcmd.ActionEvent](g, "ActionEvent")
	add[homelabcmd.Action](g, "Action")
	add[homelabcmd.ActionResult](g, "ActionResult")
	add[homelabcmd.CheckResult](g, "CheckResult")
	add[homelabcmd.CheckSpec](g, "CheckSpec")
	add[homelabcmd.Check](g, "Check")
	add[homelabcmd.CheckAgentStatus](g, "CheckAgentStatus")
	add[homelabcmd.CheckOverview](g, "CheckOverview")
	add[homelabcmd.CheckHistoryPoint](g, "CheckHistoryPoint")
	g.schemas["Heartbeat"].(schema)["description"] = "An agent's report. Unknown fields (packages, command_results, metrics.reboot_required, …) are accepted and ignored."
	add[homelabcmd.User](g, "User")
	add[homelabcmd.Session](g, "Session")
	add[homelabcmd.APIToken](g, "APIToken")
	for name, s := range userSchemas() {
		g.set(name, s)
	}
	agentlessSchemas(g)
	agentDeploySchemas(g)
	for name, s := range handWrittenSchemas() {
		g.set(name, s)
	}

	responses := map[string]any{}
	for code, r := range errorResponses {
		s := ref("Error")
		if code == 422 {
			s = schema{"anyOf": []any{ref("ValidationError"), ref("Error")}}
		}
		responses[r.name] = map[string]any{"description": r.desc, "content": map[string]any{"application/json": map[string]any{"schema": s}}}
	}
	return map[string]any{
		"schemas":   g.schemas,
		"responses": responses,
		"securitySchemes": map[string]any{
			"apiKey":        map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The operator API key (admin), or a scoped API token (hlh_at_…)."},
			"bearerToken":   map[string]any{"type": "http", "scheme": "bearer", "description": "A scoped API token (hlh_at_…) or the operator key."},
			"sessionCookie": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "Dashboard session from POST /api/v1/auth/login."},
			"agentToken":    map[string]any{"type": "apiKey", "in": "header", "name": "X-Agent-Token", "description": "Per-agent token (hlh_ag_…); sent together with X-Server-GUID."},
			"agentGUID":     map[string]any{"type": "apiKey", "in": "header", "name": "X-Server-GUID", "description": "The agent's server GUID; sent together with X-Agent-Token."},
		},
	}
}
