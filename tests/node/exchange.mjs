// openid-client v6 (panva) exchanging tokens (RFC 8693) through its generic grant at the mock's
// Keycloak flavor (standard token exchange v2): alice logs in to `web-app` by the code flow with
// the scope that puts `backend` in her token's audience, and `backend` exchanges that token.
//
//   node exchange.mjs http://127.0.0.1:PORT/realms/demo
//
// The mock must run the Keycloak provider with auto_approve and fixtures/worlds/token-exchange.toml.
// Run by tests/e2e/node_client.rs; prints one line per step and a summary line
// ("openid-client token exchange: N passed, M failed"), and exits non-zero on the first failure.

import * as client from 'openid-client';
import * as jose from 'jose';
import { AssertionFailed, check, equal, runSteps } from './steps.mjs';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const REDIRECT = 'http://127.0.0.1:5000/callback';
const insecure = { execute: [client.allowInsecureRequests] };
const issuer = new URL(process.argv[2] ?? '');
const s = {};

const steps = [
  ['alice logs in to web-app; her access token names backend in its audience', async () => {
    const web = await client.discovery(issuer, 'web-app', 'web-app-secret', client.ClientSecretBasic(), insecure);
    check(web.serverMetadata().grant_types_supported?.includes(GRANT), 'discovery lists the token-exchange grant');
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(web, {
      redirect_uri: REDIRECT,
      scope: 'openid read:messages',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      login_hint: 'alice',
    });
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    check(response.status === 302 && location, `expected 302, got ${response.status}`);
    const tokens = await client.authorizationCodeGrant(web, new URL(location), { pkceCodeVerifier: verifier });
    s.subject = tokens.access_token;
    s.subjectClaims = jose.decodeJwt(s.subject);
    const aud = [].concat(s.subjectClaims.aud ?? []);
    check(aud.includes('backend'), `aud ${JSON.stringify(aud)}`);
    return `aud ${aud.join(' ')}`;
  }],

  ['backend exchanges it with genericGrantRequest: a token of the same subject, for backend', async () => {
    s.backend = await client.discovery(issuer, 'backend', 'backend-secret', client.ClientSecretBasic(), insecure);
    const exchanged = await client.genericGrantRequest(s.backend, GRANT, {
      subject_token: s.subject,
      subject_token_type: ACCESS_TOKEN,
    });
    equal(exchanged.issued_token_type, ACCESS_TOKEN, 'issued_token_type');
    equal(exchanged.token_type.toLowerCase(), 'bearer', 'token_type');
    const claims = jose.decodeJwt(exchanged.access_token);
    equal(claims.sub, s.subjectClaims.sub, 'sub');
    equal(claims.azp, 'backend', 'azp');
    check(claims.jti !== s.subjectClaims.jti, 'a new token');
    return `azp ${claims.azp}`;
  }],

  ['an audience the token may not have is refused with invalid_request', async () => {
    try {
      await client.genericGrantRequest(s.backend, GRANT, {
        subject_token: s.subject,
        subject_token_type: ACCESS_TOKEN,
        audience: 'web-app',
      });
    } catch (err) {
      check(err instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${err}`);
      equal(err.status, 400, 'status');
      equal(err.error, 'invalid_request', 'error');
      return `${err.error}: ${err.error_description}`;
    }
    throw new AssertionFailed('the foreign audience was granted');
  }],

  ['a subject token that is no token of this issuer is refused', async () => {
    try {
      await client.genericGrantRequest(s.backend, GRANT, {
        subject_token: 'not-a-token',
        subject_token_type: ACCESS_TOKEN,
      });
    } catch (err) {
      check(err instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${err}`);
      return `${err.status} ${err.error}: ${err.error_description}`;
    }
    throw new AssertionFailed('a foreign subject token was exchanged');
  }],
];

const ok = await runSteps('openid-client token exchange', steps);
process.exit(ok ? 0 : 1);
