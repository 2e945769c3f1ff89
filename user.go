package homelabcmd

import (
	"context"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"
)

// Role is what a user or API token may do. Each role includes the ones
// before it: a viewer reads; an operator also acknowledges and resolves
// alerts, restarts services and approves, rejects or cancels actions; an
// admin also changes configuration, servers, channels, users and tokens.
type Role string

// The roles, from least to most.
const (
	RoleViewer   Role = "viewer"
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
)

// Roles lists the roles from least to most privileged.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Allows reports whether r includes everything need grants.
func (r Role) Allows(need Role) bool {
	have, want := slices.Index(Roles, r), slices.Index(Roles, need)
	return have >= 0 && want >= 0 && have >= want
}

// ValidateRole returns an EINVALID error naming field unless r is a role.
func ValidateRole(field string, r Role) error {
	if !r.Valid() {
		return FieldError(field, "role must be one of viewer, operator, admin")
	}
	return nil
}

// Principal kinds: who stands behind a request.
const (
	PrincipalUser   = "user"    // a signed-in user (session cookie)
	PrincipalToken  = "token"   // a scoped API token
	PrincipalAPIKey = "api-key" // the operator key (header or session from it)
)

// ActorAPIKey is the audit name of the operator key.
const ActorAPIKey = "api-key"

// Principal is the authenticated caller: its audit name, role and kind.
// UserID is set for users only.
type Principal struct {
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Kind   string `json:"kind"`
	UserID int64  `json:"user_id,omitempty"`
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller a context carries, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// User is a dashboard account. The password is only ever kept as an
// argon2id hash (see HashPassword), which never leaves the store.
type User struct {
	ID        int64      `json:"id"`
	Username  string     `json:"username"`
	Role      Role       `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login_at"`
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// ValidateUsername checks a user name: 1–64 of a-z 0-9 . _ @ -, starting
// with a letter or digit. "api-key" is reserved for the operator key's
// audit name. EINVALID.
func ValidateUsername(name string) error {
	if !usernameRe.MatchString(name) {
		return FieldError("username", "username must be 1-64 characters of a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit")
	}
	if name == ActorAPIKey {
		return FieldError("username", "username %q is reserved", name)
	}
	return nil
}

// Password length bounds; the upper one keeps hashing cheap to refuse.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// ValidatePassword checks a new password's length (in characters). EINVALID.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen || len(pw) > MaxPasswordLen || !utf8.ValidString(pw) {
		return FieldError("password", "password must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// APIToken is a scoped API token. Only the hash of its secret is stored;
// the secret is shown once, when the token is created.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Prefix     string     `json:"prefix"`
	CreatedBy  string     `json:"created_by"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

var tokenNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$`)

// ValidateTokenName checks an API token's name: 1–64 letters, digits,
// spaces, '.', '_', '-'. EINVALID.
func ValidateTokenName(name string) error {
	if !tokenNameRe.MatchString(name) {
		return FieldError("name", "name must be 1-64 letters, digits, spaces, '.', '_' or '-'")
	}
	return nil
}

// Session is a signed-in dashboard session as admins see it. ID is the
// SHA-256 of the cookie, which cannot be turned back into the cookie.
type Session struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}
