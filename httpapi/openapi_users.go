package httpapi

// userOperations documents accounts, sessions and scoped API tokens.
func userOperations() []operation {
	user := ref("User")
	userBody := object(p("username", with(str(), "pattern", "^[a-z0-9][a-z0-9._@-]{0,63}$")),
		p("password", with(str(), "minLength", 10, "maxLength", 256)))
	return []operation{
		{Route: "POST /api/v1/auth/signout-everywhere", Tag: "auth", Summary: "End every session of the signed-in user", Auth: authOperator,
			Result: object(p("ended", integer())), Errors: []int{400}, Doc: "Only for users (400 for the API key or a token); clears the cookie."},
		{Route: "GET /api/v1/auth/setup", Tag: "auth", Summary: "Whether the first-run setup is still open, and single sign-on configured", Auth: authOpen,
			Result: object(p("needed", boolean()), p("sso", boolean()))},
		{Route: "GET /api/v1/auth/oidc/login", Tag: "auth", Summary: "Sign in with single sign-on (redirects to the OpenID provider)", Auth: authOpen,
			Query:  []param{{Name: "next", Desc: "Local path to return to afterwards.", Schema: str()}},
			Status: 302, Errors: []int{400, 404}, Doc: "Sets a short-lived cookie with state, nonce and PKCE verifier; 404 when single sign-on is not configured."},
		{Route: "GET /api/v1/auth/oidc/callback", Tag: "auth", Summary: "Where the OpenID provider sends the browser back", Auth: authOpen,
			Query:  []param{{Name: "code", Desc: "Authorization code.", Schema: str()}, {Name: "state", Desc: "Must match the sign-in cookie.", Schema: str()}},
			Status: 302, Errors: []int{404}, Doc: "Redirects to the page the sign-in started from with a session cookie, or to /login?error=… with the reason."},
		{Route: "POST /api/v1/auth/setup", Tag: "auth", Summary: "Create the first admin (only while no user exists)", Auth: authOpen,
			Body: userBody, Status: 201, Result: user, Errors: []int{400, 403, 409},
			Doc: "Signs the caller in as the new admin (sets the session cookie). Needs Content-Type: application/json; refuses cross-site requests (403)."},

		{Route: "GET /api/v1/users", Tag: "users", Summary: "List users", Auth: authOperator,
			Result: object(p("users", arrayOf(user)), p("total", integer()))},
		{Route: "POST /api/v1/users", Tag: "users", Summary: "Add a user", Auth: authOperator,
			Body: ref("CreateUserRequest"), Status: 201, Result: user, Errors: []int{409}},
		{Route: "PUT /api/v1/users/{user}", Tag: "users", Summary: "Change a user's role or password (only the fields given)", Auth: authOperator,
			Body: ref("UpdateUserRequest"), Result: user, Errors: []int{404, 409}, Doc: "A new password ends the user's sessions; the last admin cannot be demoted (409)."},
		{Route: "DELETE /api/v1/users/{user}", Tag: "users", Summary: "Delete a user and their sessions", Auth: authOperator,
			Status: 204, Errors: []int{404, 409}, Doc: "The last admin cannot be deleted (409)."},
		{Route: "POST /api/v1/users/{user}/signout", Tag: "users", Summary: "Sign a user out everywhere", Auth: authOperator,
			Result: object(p("ended", integer())), Errors: []int{404}},
		{Route: "GET /api/v1/sessions", Tag: "users", Summary: "List live dashboard sessions", Auth: authOperator,
			Result: object(p("sessions", arrayOf(ref("Session"))), p("total", integer()))},
		{Route: "DELETE /api/v1/sessions/{sid}", Tag: "users", Summary: "End one session", Auth: authOperator,
			Status: 204, Errors: []int{404}},

		{Route: "GET /api/v1/tokens", Tag: "users", Summary: "List scoped API tokens (never their secrets)", Auth: authOperator,
			Result: object(p("tokens", arrayOf(ref("APIToken"))), p("total", integer()))},
		{Route: "POST /api/v1/tokens", Tag: "users", Summary: "Create a scoped API token; the secret is shown once", Auth: authOperator,
			Body: ref("CreateTokenRequest"), Status: 201, Result: object(p("token", ref("APIToken")), p("secret", strDesc("hlh_at_…; send as X-API-Key or Authorization: Bearer."))),
			Errors: []int{409}},
		{Route: "DELETE /api/v1/tokens/{tkid}", Tag: "users", Summary: "Revoke a token", Auth: authOperator,
			Status: 204, Errors: []int{404, 422}},
	}
}

func userSchemas() map[string]schema {
	role := enum("viewer", "operator", "admin")
	return map[string]schema{
		"LoginRequest": schema{"oneOf": []any{
			object(p("api_key", str())),
			object(p("username", str()), p("password", str())),
		}},
		"CreateUserRequest": object(p("username", with(str(), "pattern", "^[a-z0-9][a-z0-9._@-]{0,63}$")),
			p("password", with(str(), "minLength", 10, "maxLength", 256)), p("role", role)),
		"UpdateUserRequest": object(opt("password", with(str(), "minLength", 10, "maxLength", 256)), opt("role", role)),
		"CreateTokenRequest": object(p("name", with(str(), "pattern", "^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")), p("role", role),
			opt("expires_in_days", nullable(with(integer(), "minimum", 1, "maximum", maxTokenDays)))),
	}
}
