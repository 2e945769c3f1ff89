package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// maxBodyBytes bounds every request body; larger ones get 413.
const maxBodyBytes = 1 << 20

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorStatus maps application error codes to HTTP; the one place it happens.
var errorStatus = map[string]struct {
	status int
	code   string
}{
	homelabcmd.EINVALID:       {http.StatusUnprocessableEntity, "VALIDATION_ERROR"},
	homelabcmd.ENOTFOUND:      {http.StatusNotFound, "NOT_FOUND"},
	homelabcmd.ECONFLICT:      {http.StatusConflict, "CONFLICT"},
	homelabcmd.EUNAUTHORIZED:  {http.StatusUnauthorized, "UNAUTHORIZED"},
	homelabcmd.EFORBIDDEN:     {http.StatusForbidden, "FORBIDDEN"},
	homelabcmd.EBADREQUEST:    {http.StatusBadRequest, "BAD_REQUEST"},
	homelabcmd.EINVALIDSTATE:  {http.StatusBadRequest, "INVALID_STATE"},
	homelabcmd.EINVALIDMETRIC: {http.StatusBadRequest, "INVALID_METRIC"},
	homelabcmd.EINVALIDPERIOD: {http.StatusBadRequest, "INVALID_PERIOD"},
	homelabcmd.ETOOLARGE:      {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	homelabcmd.EMEDIATYPE:     {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
	homelabcmd.ETOOMANY:       {http.StatusTooManyRequests, "TOO_MANY_REQUESTS"},
	homelabcmd.EINTERNAL:      {http.StatusInternalServerError, "INTERNAL_ERROR"},
}

// statusClientClosed is nginx's 499: the client went away before the
// answer. It is written (to nobody) and counted as such, never as a 500.
const statusClientClosed = 499

// clientGone reports whether err only says that the request's client
// disconnected (its context was cancelled).
func clientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// statusOf is the HTTP status writeError gives err.
func statusOf(r *http.Request, err error) int {
	if clientGone(r, err) {
		return statusClientClosed
	}
	return errorStatus[homelabcmd.ErrorCode(err)].status
}

// writeError writes the contract's error shapes: {"detail":{"code","message"}},
// or for an invalid field FastAPI's 422 list {"detail":[{"type","loc","msg"}]}.
// Internal errors are logged in full and reach the client as a generic text;
// a client that went away is logged at debug level and gets 499.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r, err) {
		s.logger.Debug("client went away", "method", r.Method, "path", r.URL.Path, "err", err)
		w.WriteHeader(statusClientClosed)
		return
	}
	code := homelabcmd.ErrorCode(err)
	m := errorStatus[code]
	if code == homelabcmd.EINTERNAL {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var appErr *homelabcmd.Error
	errors.As(err, &appErr)
	if code == homelabcmd.EINVALID && appErr != nil && appErr.Field != "" {
		loc := []any{"body"}
		if strings.HasPrefix(appErr.Field, "query.") || strings.HasPrefix(appErr.Field, "path.") {
			loc = nil
		}
		for _, p := range strings.Split(appErr.Field, ".") {
			loc = append(loc, p)
		}
		writeJSON(w, m.status, map[string]any{"detail": []map[string]any{{
			"type": "value_error", "loc": loc, "msg": appErr.Message,
		}}})
		return
	}
	detail := map[string]any{"code": m.code, "message": homelabcmd.ErrorMessage(err)}
	if code == homelabcmd.ETOOMANY && appErr != nil {
		if secs, ok := appErr.Data["retry_after"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
	}
	if appErr != nil {
		for k, v := range appErr.Data {
			detail[k] = v
		}
	}
	writeJSON(w, m.status, map[string]any{"detail": detail})
}

// decodeJSON reads a size-limited JSON body into v. Unknown fields are
// ignored, as the contract requires; malformed JSON, wrong types and bodies
// over the limit become typed errors that say what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONLimit(w, r, v, maxBodyBytes)
}

// decodeJSONLimit is decodeJSON with its own size limit. A declared
// Content-Length over the limit is refused before anything is read, and a
// body from a browser-capable caller (no API-key or agent-token header)
// must say application/json (see requireJSON).
func decodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if r.ContentLength > limit {
		return homelabcmd.Errorf(homelabcmd.ETOOLARGE, "Request body is larger than %d bytes", limit)
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return homelabcmd.Errorf(homelabcmd.EINVALID, "Request body must hold a single JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var appErr *homelabcmd.Error
	switch {
	case errors.As(err, &appErr):
		return appErr
	case errors.As(err, &maxErr):
		return homelabcmd.Errorf(homelabcmd.ETOOLARGE, "Request body is larger than %d bytes", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return homelabcmd.Errorf(homelabcmd.EINVALID, "Request body is empty; a JSON object is required")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return homelabcmd.Errorf(homelabcmd.EINVALID, "Request body is not valid JSON: %v", err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return homelabcmd.Errorf(homelabcmd.EINVALID, "Request body must be a JSON %s, not %s", "object", typeErr.Value)
		}
		return homelabcmd.FieldError(field, "must be %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	return homelabcmd.Errorf(homelabcmd.EINVALID, "Request body could not be read: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return fmt.Sprintf("a number (%s)", goKind)
}
