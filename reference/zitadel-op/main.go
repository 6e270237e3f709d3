// Command zitadel-op is a reference OpenID Provider built on the op package of the
// zitadel/oidc Go library (the OIDC layer of ZITADEL), serving the clients and users of one
// realm of an idp-harness World file. It is a conformance target for what ZITADEL inherits
// from the library; see README.md for what it does not imitate.
//
// It listens on 127.0.0.1:<port> (0: a free port), prints one line `issuer <url>` on stdout
// when ready and exits on SIGTERM, SIGINT or the end of stdin.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "zitadel-op: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	worldPath := flag.String("world", "fixtures/world.toml", "the World file")
	realmName := flag.String("realm", "", "the realm to serve (default: the world's default_realm)")
	port := flag.Int("port", 0, "the loopback port (0: a free one)")
	libraryPaths := flag.Bool("library-paths", false, "serve the library's default endpoint paths instead of ZITADEL's")
	legacyHandler := flag.Bool("provider-handler", false,
		"serve through op.Provider's own handler instead of op.RegisterServer over a LegacyServer (ZITADEL's way)")
	watchStdin := flag.Bool("stdin", true, "exit at the end of stdin")
	verbose := flag.Bool("v", false, "log every request to stderr")
	flag.Parse()

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	_, realm, err := loadRealm(*worldPath, *realmName)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		return err
	}
	// ZITADEL's issuer is its external URL without a trailing slash.
	issuer := fmt.Sprintf("http://%s", listener.Addr().String())
	store, err := newStorage(realm)
	if err != nil {
		return err
	}
	provider, err := newProvider(issuer, store, *libraryPaths)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(loginPath, &login{storage: store, callback: op.AuthCallbackURL(provider)})
	if *legacyHandler {
		mux.Handle("/", provider)
	} else {
		// ZITADEL serves its op.Server (a LegacyServer with ZITADEL's overrides) through
		// op.RegisterServer; the LegacyServer alone is the library's part of that.
		mux.Handle("/", op.RegisterLegacyServer(op.NewLegacyServer(provider, provider.Endpoints()),
			op.AuthorizeCallbackHandler(provider)))
	}
	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	fmt.Printf("issuer %s\n", issuer)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	stdinClosed := make(chan struct{})
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stdinClosed)
		}()
	}
	select {
	case err := <-served:
		return err
	case <-stop:
	case <-stdinClosed:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(ctx)
}

// newProvider configures the library's OP as ZITADEL's defaults.yaml does: S256 PKCE,
// client_secret_post besides Basic, private_key_jwt advertised (no client here holds keys, so
// none authenticates that way), refresh tokens; no request objects, no device flow.
func newProvider(issuer string, store *storage, libraryPaths bool) (*op.Provider, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	config := &op.Config{
		CryptoKey:               key,
		CryptoKeyId:             "opaque",
		CodeMethodS256:          true,
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: true,
		GrantTypeRefreshToken:   true,
		SupportedUILocales:      []language.Tag{language.English},
		SupportedScopes:         store.realm.Scopes,
	}
	options := []op.Option{op.WithAllowInsecure()}
	if !libraryPaths {
		// ZITADEL's routes (internal/api/oidc in zitadel/zitadel configures them the same way).
		options = append(options,
			op.WithCustomAuthEndpoint(op.NewEndpoint("/oauth/v2/authorize")),
			op.WithCustomTokenEndpoint(op.NewEndpoint("/oauth/v2/token")),
			op.WithCustomIntrospectionEndpoint(op.NewEndpoint("/oauth/v2/introspect")),
			op.WithCustomUserinfoEndpoint(op.NewEndpoint("/oidc/v1/userinfo")),
			op.WithCustomRevocationEndpoint(op.NewEndpoint("/oauth/v2/revoke")),
			op.WithCustomEndSessionEndpoint(op.NewEndpoint("/oidc/v1/end_session")),
			op.WithCustomKeysEndpoint(op.NewEndpoint("/oauth/v2/keys")),
			op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("/oauth/v2/device_authorization")),
		)
	}
	return op.NewProvider(config, store, op.StaticIssuer(issuer), options...)
}
