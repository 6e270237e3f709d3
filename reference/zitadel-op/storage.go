package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// maxEntries bounds each in-memory store; a full store refuses new entries (expired ones are
// swept first).
const maxEntries = 10000

var errStoreFull = errors.New("store full")

// storage implements op.Storage and op.ClientCredentialsStorage over one World realm, in
// memory. Modelled on the library's example/server/storage.
type storage struct {
	realm      *Realm
	accessTTL  time.Duration
	refreshTTL time.Duration
	codeTTL    time.Duration
	key        signingKey

	lock          sync.Mutex
	authRequests  map[string]*authRequest
	codes         map[string]string
	tokens        map[string]*token
	refreshTokens map[string]*refreshToken
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.ClientCredentialsStorage  = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

func seconds(value, fallback int64) time.Duration {
	if value <= 0 {
		value = fallback
	}
	return time.Duration(value) * time.Second
}

func newStorage(realm *Realm) (*storage, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return &storage{
		realm:         realm,
		accessTTL:     seconds(realm.Lifetimes.AccessTokenSecs, 300),
		refreshTTL:    seconds(realm.Lifetimes.RefreshTokenSecs, 1800),
		codeTTL:       seconds(realm.Lifetimes.AuthorizationCodeSecs, 60),
		key:           signingKey{id: uuid.NewString(), key: key},
		authRequests:  map[string]*authRequest{},
		codes:         map[string]string{},
		tokens:        map[string]*token{},
		refreshTokens: map[string]*refreshToken{},
	}, nil
}

func (s *storage) client(id string) (*opClient, bool) {
	client, ok := s.realm.Clients[id]
	if !ok {
		return nil, false
	}
	return &opClient{world: client, realm: s.realm, idTokenTTL: s.accessTTL}, true
}

func (s *storage) user(subject string) *User {
	for _, user := range s.realm.Users {
		if user.Subject() == subject {
			return user
		}
	}
	return nil
}

// sweep drops expired entries; called with the lock held before inserting.
func (s *storage) sweep(now time.Time) {
	for id, request := range s.authRequests {
		if now.Sub(request.created) > 10*time.Minute {
			delete(s.authRequests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.authRequests[id]; !ok {
			delete(s.codes, code)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expiration) {
			delete(s.tokens, id)
		}
	}
	for id, t := range s.refreshTokens {
		if now.After(t.expiration) {
			delete(s.refreshTokens, id)
		}
	}
}

func full[V any](m map[string]V) bool { return len(m) >= maxEntries }

// checkLogin is the login page's password check; it completes the auth request `id`.
func (s *storage) checkLogin(id, username, password string) error {
	s.lock.Lock()
	defer s.lock.Unlock()
	request, ok := s.authRequests[id]
	if !ok {
		return errors.New("the login request is unknown or expired")
	}
	user, ok := s.realm.Users[username]
	if !ok || user.Password != password {
		return errors.New("username or password wrong")
	}
	if !user.Active() {
		return errors.New("user is deactivated")
	}
	request.subject = user.Subject()
	request.done = true
	request.authTime = time.Now()
	return nil
}

// CreateAuthRequest stores a validated authorization request.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if len(req.Prompt) == 1 && req.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	client, ok := s.realm.Clients[req.ClientID]
	if !ok {
		return nil, oidc.ErrInvalidClient()
	}
	if client.PKCE == "s256-required" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge with method S256 required")
	}
	var challenge *oidc.CodeChallenge
	if req.CodeChallenge != "" {
		challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	request := &authRequest{
		id:            uuid.NewString(),
		created:       time.Now(),
		clientID:      req.ClientID,
		redirectURI:   req.RedirectURI,
		state:         req.State,
		nonce:         req.Nonce,
		scopes:        req.Scopes,
		audience:      audienceFor(s.realm, req.ClientID, req.Scopes),
		responseType:  req.ResponseType,
		responseMode:  req.ResponseMode,
		codeChallenge: challenge,
		loginHint:     req.LoginHint,
		subject:       userID,
	}
	s.lock.Lock()
	defer s.lock.Unlock()
	s.sweep(request.created)
	if full(s.authRequests) {
		return nil, oidc.ErrServerError().WithParent(errStoreFull)
	}
	s.authRequests[request.id] = request
	return request, nil
}

// AuthRequestByID is asked after the login redirects back to the library.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	request, ok := s.authRequests[id]
	if !ok {
		return nil, errors.New("auth request not found")
	}
	return request, nil
}

// AuthRequestByCode finds the request of an unexpired code.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errors.New("code invalid or expired")
	}
	request, ok := s.authRequests[id]
	if !ok || time.Since(request.codeIssued) > s.codeTTL {
		return nil, errors.New("code invalid or expired")
	}
	return request, nil
}

// SaveAuthCode links a code to its request.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.lock.Lock()
	defer s.lock.Unlock()
	request, ok := s.authRequests[id]
	if !ok {
		return errors.New("auth request not found")
	}
	if full(s.codes) {
		return errStoreFull
	}
	request.codeIssued = time.Now()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is called once tokens were issued for the request (codes are single-use).
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.lock.Lock()
	defer s.lock.Unlock()
	delete(s.authRequests, id)
	for code, requestID := range s.codes {
		if requestID == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func clientOf(request op.TokenRequest) string {
	switch req := request.(type) {
	case *authRequest:
		return req.clientID
	case refreshRequest:
		return req.clientID
	case *clientCredentialsRequest:
		return req.clientID
	case op.TokenExchangeRequest:
		return req.GetClientID()
	}
	return ""
}

// CreateAccessToken issues an access token without a refresh token.
func (s *storage) CreateAccessToken(_ context.Context, request op.TokenRequest) (string, time.Time, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	t, err := s.newAccessToken(clientOf(request), "", request.GetSubject(), request.GetAudience(), request.GetScopes())
	if err != nil {
		return "", time.Time{}, err
	}
	return t.id, t.expiration, nil
}

// CreateAccessAndRefreshTokens issues both; with currentRefreshToken set it rotates that one.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	clientID := clientOf(request)
	refreshID := uuid.NewString()
	if current != "" {
		old, ok := s.refreshTokens[current]
		if !ok || time.Now().After(old.expiration) {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refreshTokens, current)
		delete(s.tokens, old.accessTokenID)
	}
	if full(s.refreshTokens) {
		return "", "", time.Time{}, errStoreFull
	}
	t, err := s.newAccessToken(clientID, refreshID, request.GetSubject(), request.GetAudience(), request.GetScopes())
	if err != nil {
		return "", "", time.Time{}, err
	}
	var authTime time.Time
	var amr []string
	switch req := request.(type) {
	case *authRequest:
		authTime, amr = req.authTime, req.GetAMR()
	case refreshRequest:
		authTime, amr = req.authTime, req.amr
	}
	s.refreshTokens[refreshID] = &refreshToken{
		id:            refreshID,
		authTime:      authTime,
		amr:           amr,
		audience:      t.audience,
		subject:       t.subject,
		clientID:      clientID,
		expiration:    time.Now().Add(s.refreshTTL),
		scopes:        t.scopes,
		accessTokenID: t.id,
	}
	return t.id, refreshID, t.expiration, nil
}

// newAccessToken stores an access token; called with the lock held.
func (s *storage) newAccessToken(clientID, refreshID, subject string, audience, scopes []string) (*token, error) {
	now := time.Now()
	s.sweep(now)
	if full(s.tokens) {
		return nil, errStoreFull
	}
	t := &token{
		id:             uuid.NewString(),
		clientID:       clientID,
		subject:        subject,
		refreshTokenID: refreshID,
		audience:       audience,
		scopes:         scopes,
		issued:         now,
		expiration:     now.Add(s.accessTTL),
	}
	s.tokens[t.id] = t
	return t, nil
}

// TokenRequestByRefreshToken finds an unexpired refresh token.
func (s *storage) TokenRequestByRefreshToken(_ context.Context, id string) (op.RefreshTokenRequest, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	t, ok := s.refreshTokens[id]
	if !ok || time.Now().After(t.expiration) {
		return nil, errors.New("invalid refresh token")
	}
	copied := *t
	return refreshRequest{&copied}, nil
}

// TerminateSession drops the user's tokens for the client (end_session).
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.lock.Lock()
	defer s.lock.Unlock()
	for id, t := range s.tokens {
		if t.clientID == clientID && t.subject == userID {
			delete(s.tokens, id)
			delete(s.refreshTokens, t.refreshTokenID)
		}
	}
	return nil
}

// GetRefreshTokenInfo serves revocation of refresh tokens.
func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, id string) (string, string, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	t, ok := s.refreshTokens[id]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, t.id, nil
}

// RevokeToken revokes an access token (by id) or a refresh token; unknown tokens are ignored
// (RFC 7009 §2.2).
func (s *storage) RevokeToken(_ context.Context, idOrToken, _ string, clientID string) *oidc.Error {
	s.lock.Lock()
	defer s.lock.Unlock()
	if t, ok := s.tokens[idOrToken]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued for this client")
		}
		delete(s.tokens, idOrToken)
		return nil
	}
	if t, ok := s.refreshTokens[idOrToken]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued for this client")
		}
		delete(s.refreshTokens, idOrToken)
		delete(s.tokens, t.accessTokenID)
	}
	return nil
}

// SigningKey is the one RS256 key generated at start.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return &s.key, nil }

// SignatureAlgorithms lists RS256.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet publishes the public key.
func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{&publicKey{s.key}}, nil }

// GetClientByClientID returns the World client.
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	client, ok := s.client(id)
	if !ok {
		return nil, errors.New("client not found")
	}
	return client, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	client, ok := s.realm.Clients[id]
	if !ok {
		return errors.New("client not found")
	}
	if client.Kind == "public" || client.Secret != secret {
		return errors.New("invalid secret")
	}
	return nil
}

// SetUserinfoFromScopes is superseded by SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, request.GetSubject(), scopes)
}

// SetUserinfoFromToken serves the userinfo endpoint.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	t, ok := s.liveToken(tokenID)
	if !ok {
		return errors.New("token is invalid or has expired")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

func (s *storage) liveToken(id string) (token, bool) {
	s.lock.Lock()
	defer s.lock.Unlock()
	t, ok := s.tokens[id]
	if !ok || time.Now().After(t.expiration) {
		return token{}, false
	}
	return *t, true
}

// SetIntrospectionFromToken answers for tokens whose audience holds the introspecting client
// (as ZITADEL requires its project there); anything else is `active: false`.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, ok := s.liveToken(tokenID)
	if !ok {
		return errors.New("token is invalid or has expired")
	}
	if !slices.Contains(t.audience, clientID) {
		return errors.New("token is not valid for this client")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, t.subject, t.scopes); err != nil && !errors.Is(err, errNoUser) {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(t.expiration)
	resp.IssuedAt = oidc.FromTime(t.issued)
	resp.NotBefore = oidc.FromTime(t.issued)
	resp.Subject = t.subject
	resp.Audience = t.audience
	resp.Issuer = op.IssuerFromContext(ctx)
	resp.JWTID = t.id
	if user := s.user(t.subject); user != nil {
		resp.Username = user.Username
	}
	return nil
}

var errNoUser = errors.New("user not found")

// setUserinfo fills the standard claims of `scopes` for the user `subject`.
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	user := s.user(subject)
	if user == nil {
		// A client_credentials token: the client is the subject and has no profile.
		if _, ok := s.realm.Clients[subject]; ok {
			info.Subject = subject
			return errNoUser
		}
		return errNoUser
	}
	info.Subject = user.Subject()
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeEmail:
			info.Email = user.Email
			info.EmailVerified = oidc.Bool(user.EmailVerified)
		case oidc.ScopeProfile:
			info.PreferredUsername = user.Username
			info.Name = user.Name
			info.GivenName = user.GivenName
			info.FamilyName = user.FamilyName
		}
	}
	return nil
}

// GetPrivateClaimsFromScopes adds no private claims to JWT access tokens.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: no client holds keys (no private_key_jwt, no JWT profile grant).
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys in this reference OP")
}

// ValidateJWTProfileScopes: the JWT profile grant is not offered.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile grant not supported")
}

// Health always reports healthy.
func (s *storage) Health(context.Context) error { return nil }

// ClientCredentials authenticates a confidential client for client_credentials. The
// LegacyServer passes this error on as it is (unlike AuthorizeClientIDSecret's, which the
// library wraps), so it is an *oidc.Error with the library's own description.
func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("invalid client_id / client_secret").WithParent(err)
	}
	return s.GetClientByClientID(ctx, id)
}

// ClientCredentialsTokenRequest keeps the requested scopes the client may have.
func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	client, ok := s.client(id)
	if !ok {
		return nil, errors.New("client not found")
	}
	granted := make([]string, 0, len(scopes))
	for _, scope := range scopes {
		if slices.Contains(s.realm.Scopes, scope) || client.IsScopeAllowed(scope) {
			granted = append(granted, scope)
		}
	}
	return &clientCredentialsRequest{clientID: id, audience: audienceFor(s.realm, id, granted), scopes: granted}, nil
}

// signingKey is the OP's private RS256 key.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is its public half for the JWKS.
type publicKey struct{ signingKey }

func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return &k.key.PublicKey }
