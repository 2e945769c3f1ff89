// Package homelabcmd holds the domain types of the homelab monitoring hub and
// agent: servers, expected services, service status, metrics and alerts.
// Adapters (sqlstore, httpapi, agent) import this package, never each other.
package homelabcmd

import (
	"errors"
	"fmt"
)

// Error codes that every layer understands. httpapi maps them to HTTP
// statuses in exactly one place.
const (
	EINVALID       = "invalid"        // bad input: 422
	ENOTFOUND      = "not_found"      // missing entity: 404
	ECONFLICT      = "conflict"       // unique violation or wrong state: 409
	EUNAUTHORIZED  = "unauthorized"   // missing or wrong credential: 401
	EFORBIDDEN     = "forbidden"      // valid credential used out of scope: 403
	ETOOLARGE      = "too_large"      // request body over the limit: 413
	EBADREQUEST    = "bad_request"    // a well-formed request that cannot be done: 400
	EINVALIDSTATE  = "invalid_state"  // not possible in the entity's state (the original's 400 INVALID_STATE)
	EINVALIDMETRIC = "invalid_metric" // unknown metric name: 400 (the original's INVALID_METRIC)
	EINVALIDPERIOD = "invalid_period" // unknown period: 400 (the original's INVALID_PERIOD)
	EMEDIATYPE     = "media_type"     // a body that is not application/json: 415
	ETOOMANY       = "too_many"       // rate limited: 429 (Data["retry_after"] in seconds)
	EINTERNAL      = "internal"       // anything else: 500, logged, never shown
)

// Error is the application error. Its Message is safe to show to a client;
// Field names the offending input (for 422 "loc"), when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
	// Data carries extra response fields, e.g. existing_action_id on a 409.
	Data map[string]any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error that names the offending field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of an application error and a
// generic text for anything else, so internal details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsNotFound, IsConflict and IsInvalid let callers test the typed errors.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// IsConflict reports whether err is a conflict (e.g. a unique violation).
func IsConflict(err error) bool { return ErrorCode(err) == ECONFLICT }

// IsInvalid reports whether err is an invalid-input error.
func IsInvalid(err error) bool { return ErrorCode(err) == EINVALID }
