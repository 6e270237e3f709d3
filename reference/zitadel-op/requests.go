package main

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequest is one authorization request between /authorize and the code redemption.
type authRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	audience      []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	loginHint     string

	// Set by the login.
	subject  string
	done     bool
	authTime time.Time
	// Set when the code is issued.
	codeIssued time.Time
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string  { return a.id }
func (a *authRequest) GetACR() string { return "" }
func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// token is an issued access token (opaque ones are the library's encryption of its id).
type token struct {
	id             string
	clientID       string
	subject        string
	refreshTokenID string
	audience       []string
	scopes         []string
	issued         time.Time
	expiration     time.Time
}

// refreshToken is an issued refresh token; rotated on every use.
type refreshToken struct {
	id            string
	authTime      time.Time
	amr           []string
	audience      []string
	subject       string
	clientID      string
	expiration    time.Time
	scopes        []string
	accessTokenID string
}

// refreshRequest is the library's view of a refresh token being redeemed.
type refreshRequest struct{ *refreshToken }

var _ op.RefreshTokenRequest = refreshRequest{}

func (r refreshRequest) GetAMR() []string            { return r.amr }
func (r refreshRequest) GetAudience() []string       { return r.audience }
func (r refreshRequest) GetAuthTime() time.Time      { return r.authTime }
func (r refreshRequest) GetClientID() string         { return r.clientID }
func (r refreshRequest) GetScopes() []string         { return r.scopes }
func (r refreshRequest) GetSubject() string          { return r.subject }
func (r refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// clientCredentialsRequest is a client_credentials token request: the client is its own
// subject (a ZITADEL machine user would have a numeric user id instead).
type clientCredentialsRequest struct {
	clientID string
	audience []string
	scopes   []string
}

var _ op.TokenRequest = (*clientCredentialsRequest)(nil)

func (r *clientCredentialsRequest) GetSubject() string    { return r.clientID }
func (r *clientCredentialsRequest) GetAudience() []string { return r.audience }
func (r *clientCredentialsRequest) GetScopes() []string   { return r.scopes }

// audienceFor is the client itself plus every client of the realm one of whose
// `audience_scopes` was granted (the World's stand-in for ZITADEL's project audience).
func audienceFor(realm *Realm, clientID string, scopes []string) []string {
	audience := []string{clientID}
	ids := make([]string, 0, len(realm.Clients))
	for id := range realm.Clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id == clientID {
			continue
		}
		for _, scope := range realm.Clients[id].AudienceScopes {
			if slices.Contains(scopes, scope) {
				audience = append(audience, id)
				break
			}
		}
	}
	return audience
}
