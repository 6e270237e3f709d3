// Command jwt-profile drives ZITADEL's JWT profile grant with ZITADEL's own client library
// (zitadel/oidc v3 client/profile, as ZITADEL's SDKs and docs use it) against an issuer:
//
//	go run ./cmd/jwt-profile ISSUER KEYFILE CLIENT SECRET
//
// It gets a token for the key file's service user, introspects it as CLIENT (an API app with
// SECRET: it must be active and name the key file's user as sub), and checks that an
// assertion signed by another key gets no token. It prints one line per step and exits non-zero
// when a step fails.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/profile"
	"github.com/zitadel/oidc/v3/pkg/client/rs"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

type keyFile struct {
	Type   string `json:"type"`
	KeyID  string `json:"keyId"`
	Key    string `json:"key"`
	UserID string `json:"userId"`
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: jwt-profile ISSUER KEYFILE CLIENT SECRET")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintln(os.Stderr, "jwt-profile:", err)
		os.Exit(1)
	}
	fmt.Println("zitadel/oidc JWT profile: 3 passed, 0 failed")
}

func run(issuer, keyPath, client, secret string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return err
	}
	var file keyFile
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("key file: %w", err)
	}

	source, err := profile.NewJWTProfileTokenSourceFromKeyFileData(ctx, issuer, data, []string{oidc.ScopeOpenID})
	if err != nil {
		return fmt.Errorf("token source: %w", err)
	}
	token, err := source.TokenCtx(ctx)
	if err != nil {
		return fmt.Errorf("the key file's user got no token: %w", err)
	}
	if token.AccessToken == "" || token.TokenType != "Bearer" {
		return fmt.Errorf("unexpected token response: %+v", token)
	}
	fmt.Printf("ok   a token for service user %s (expires %s)\n", file.UserID, token.Expiry.Format(time.RFC3339))

	server, err := rs.NewResourceServerClientCredentials(ctx, issuer, client, secret)
	if err != nil {
		return fmt.Errorf("resource server: %w", err)
	}
	info, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, server, token.AccessToken)
	if err != nil {
		return fmt.Errorf("introspection: %w", err)
	}
	if !info.Active || info.Subject != file.UserID {
		return fmt.Errorf("introspection: active %v, sub %q (want %q)", info.Active, info.Subject, file.UserID)
	}
	fmt.Printf("ok   introspection by %s: active, sub %s\n", client, info.Subject)

	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	strangerPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(stranger)})
	forged, err := profile.NewJWTProfileTokenSource(ctx, issuer, file.UserID, file.KeyID, strangerPEM, []string{oidc.ScopeOpenID})
	if err != nil {
		return fmt.Errorf("token source: %w", err)
	}
	if _, err := forged.TokenCtx(ctx); err == nil {
		return fmt.Errorf("an assertion signed by another key under %s got a token", file.KeyID)
	}
	fmt.Println("ok   an assertion signed by another key gets no token")
	return nil
}
