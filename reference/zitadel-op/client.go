package main

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// opClient adapts a World client to the library's op.Client.
type opClient struct {
	world      *Client
	realm      *Realm
	idTokenTTL time.Duration
}

var _ op.Client = (*opClient)(nil)

func (c *opClient) GetID() string                    { return c.world.ID }
func (c *opClient) RedirectURIs() []string           { return c.world.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.world.PostLogoutRedirectURIs }

// ApplicationType: public clients are user agents (a ZITADEL "SPA"), confidential ones web
// apps.
func (c *opClient) ApplicationType() op.ApplicationType {
	if c.public() {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod: none for public clients, client_secret_basic otherwise (the library then also
// accepts client_secret_post, as AuthMethodPost is enabled in the config).
func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *opClient) public() bool { return c.world.Kind == "public" }

// ResponseTypes: the World only has code-flow clients.
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes: the World's grant types the library knows (the password grant does not exist
// in the library and is dropped).
func (c *opClient) GrantTypes() []oidc.GrantType {
	grants := make([]oidc.GrantType, 0, len(c.world.GrantTypes))
	for _, grant := range c.world.GrantTypes {
		switch grant {
		case "authorization_code":
			grants = append(grants, oidc.GrantTypeCode)
		case "refresh_token":
			grants = append(grants, oidc.GrantTypeRefreshToken)
		case "client_credentials":
			grants = append(grants, oidc.GrantTypeClientCredentials)
		}
	}
	return grants
}

func (c *opClient) LoginURL(id string) string { return loginPath + "?" + queryAuthRequestID + "=" + id }

// AccessTokenType: opaque (the library's "Bearer" type) unless the World asks for JWTs, as in
// ZITADEL where opaque is the default.
func (c *opClient) AccessTokenType() op.AccessTokenType {
	if c.world.AccessTokenFormat == "jwt" {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *opClient) IDTokenLifetime() time.Duration { return c.idTokenTTL }

// DevMode allows the World's http:// loopback redirect URIs for web and user-agent clients
// (ZITADEL's per-app "development mode").
func (c *opClient) DevMode() bool { return true }

func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IsScopeAllowed is asked for scopes beyond the OIDC standard ones (which the library always
// allows): the client's `scopes`, else the realm's.
func (c *opClient) IsScopeAllowed(scope string) bool {
	allowed := c.world.Scopes
	if len(allowed) == 0 {
		allowed = c.realm.Scopes
	}
	return slices.Contains(allowed, scope)
}

func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
