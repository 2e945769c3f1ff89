// Package oidctest runs a real OpenID provider for tests: zitadel/oidc's
// provider (op package) with its example in-memory storage and login page,
// one web client, and the users a test gives it.
package oidctest

import (
	"net"
	"net/http"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/text/language"
)

// The client the provider knows the hub as.
const (
	ClientID     = "homelabcmd"
	ClientSecret = "test-client-secret"
)

// User is a provider account; Email is the claim tests map to roles.
type User struct {
	Username, Password, Email string
}

// users implements the example storage's UserStore.
type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User { return u[id] }
func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u users) ExampleClientID() string { return "service" }

// Provider is a running OpenID provider.
type Provider struct {
	Issuer string
	srv    *http.Server
}

// Start serves a provider on ln (its issuer is http://<ln's address>/)
// that lets redirectURL sign in as any of accounts.
func Start(ln net.Listener, redirectURL string, accounts ...User) *Provider {
	issuer := "http://" + ln.Addr().String() + "/"
	us := users{}
	for i, a := range accounts {
		id := "id" + string(rune('1'+i))
		us[id] = &storage.User{ID: id, Username: a.Username, Password: a.Password, FirstName: a.Username,
			LastName: "Test", Email: a.Email, EmailVerified: true, PreferredLanguage: language.English}
	}
	clients := map[string]*storage.Client{ClientID: storage.WebClient(ClientID, ClientSecret, redirectURL)}
	router := exampleop.SetupServer(issuer, storage.NewStorageWithClients(us, clients), nil, false)
	p := &Provider{Issuer: issuer, srv: &http.Server{Handler: router}}
	go p.srv.Serve(ln) //nolint:errcheck // ends with Close
	return p
}

// Close stops the provider.
func (p *Provider) Close() error { return p.srv.Close() }
