package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/BurntSushi/toml"
)

// World is the part of the idp-harness World file (fixtures/world.toml) this reference OP
// reads. The schema is validated by crates/providers; here only what the OP serves is decoded.
type World struct {
	DefaultRealm string            `toml:"default_realm"`
	Realms       map[string]*Realm `toml:"realms"`
}

// Realm is one `[realms.NAME]`: for ZITADEL, the organisation served.
type Realm struct {
	Scopes     []string           `toml:"scopes"`
	Roles      []string           `toml:"roles"`
	SigningAlg string             `toml:"signing_alg"`
	Lifetimes  Lifetimes          `toml:"lifetimes"`
	Clients    map[string]*Client `toml:"clients"`
	Users      map[string]*User   `toml:"users"`
}

// Lifetimes are the realm's token lifetimes in seconds (0: the default).
type Lifetimes struct {
	AccessTokenSecs       int64 `toml:"access_token_secs"`
	RefreshTokenSecs      int64 `toml:"refresh_token_secs"`
	AuthorizationCodeSecs int64 `toml:"authorization_code_secs"`
}

// Client is one `[realms.NAME.clients.ID]`.
type Client struct {
	ID                     string   `toml:"-"`
	Kind                   string   `toml:"kind"`
	Secret                 string   `toml:"secret"`
	RedirectURIs           []string `toml:"redirect_uris"`
	PostLogoutRedirectURIs []string `toml:"post_logout_redirect_uris"`
	GrantTypes             []string `toml:"grant_types"`
	PKCE                   string   `toml:"pkce"`
	Scopes                 []string `toml:"scopes"`
	AudienceScopes         []string `toml:"audience_scopes"`
	Introspection          bool     `toml:"introspection"`
	AccessTokenFormat      string   `toml:"access_token_format"`
}

// User is one `[realms.NAME.users.USERNAME]`.
type User struct {
	Username      string   `toml:"-"`
	ID            string   `toml:"id"`
	Password      string   `toml:"password"`
	Enabled       *bool    `toml:"enabled"`
	Email         string   `toml:"email"`
	EmailVerified bool     `toml:"email_verified"`
	Name          string   `toml:"name"`
	GivenName     string   `toml:"given_name"`
	FamilyName    string   `toml:"family_name"`
	RealmRoles    []string `toml:"realm_roles"`
}

// Subject is the user's `sub`: the World's `id`, else the username.
func (u *User) Subject() string {
	if u.ID != "" {
		return u.ID
	}
	return u.Username
}

// Active tells whether the user may log in (`enabled` defaults to true).
func (u *User) Active() bool {
	return u.Enabled == nil || *u.Enabled
}

// loadRealm reads the world file and returns the realm named `name` (the default realm when
// empty), with client ids and usernames filled in from their table keys.
func loadRealm(path, name string) (string, *Realm, error) {
	var world World
	meta, err := toml.DecodeFile(path, &world)
	if err != nil {
		return "", nil, fmt.Errorf("world %s: %w", path, err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, 0, len(undecoded))
		for _, key := range undecoded {
			keys = append(keys, key.String())
		}
		sort.Strings(keys)
		fmt.Fprintf(os.Stderr, "zitadel-op: world keys this reference OP ignores: %v\n", keys)
	}
	if name == "" {
		name = world.DefaultRealm
	}
	realm, ok := world.Realms[name]
	if !ok {
		return "", nil, fmt.Errorf("world %s has no realm %q", path, name)
	}
	if realm.SigningAlg != "" && realm.SigningAlg != "RS256" {
		return "", nil, fmt.Errorf("realm %q: signing_alg %s is not supported here (RS256 only)", name, realm.SigningAlg)
	}
	for id, client := range realm.Clients {
		client.ID = id
	}
	for username, user := range realm.Users {
		user.Username = username
	}
	return name, realm, nil
}
