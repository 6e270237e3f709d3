// openid-client v6 (panva) pushing its authorization request (RFC 9126) to the mock's
// Keycloak flavor: buildAuthorizationUrlWithPAR, then the code flow through the request_uri.
//
//   node par.mjs http://127.0.0.1:PORT/realms/demo
//
// The mock must run with auto_approve and the Keycloak provider. Run by
// tests/e2e/node_client.rs; prints one line per step and a summary line
// ("openid-client PAR: N passed, M failed"), and exits non-zero on the first failure.

import * as client from 'openid-client';
import { inspect } from 'node:util';
import { AssertionFailed, check, equal, runSteps } from './steps.mjs';

const REDIRECT = 'http://127.0.0.1:5000/callback';
const insecure = { execute: [client.allowInsecureRequests] };

const issuer = new URL(process.argv[2] ?? '');

const s = {};

const steps = [
  ['discovery advertises the PAR endpoint', async () => {
    s.config = await client.discovery(issuer, 'web-app', 'web-app-secret', client.ClientSecretBasic(), insecure);
    const metadata = s.config.serverMetadata();
    check(
      typeof metadata.pushed_authorization_request_endpoint === 'string',
      `no pushed_authorization_request_endpoint: ${inspect(metadata)}`,
    );
    return metadata.pushed_authorization_request_endpoint;
  }],

  ['buildAuthorizationUrlWithPAR pushes the request and gets a Keycloak request_uri', async () => {
    s.verifier = client.randomPKCECodeVerifier();
    s.state = client.randomState();
    s.nonce = client.randomNonce();
    s.url = await client.buildAuthorizationUrlWithPAR(s.config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(s.verifier),
      code_challenge_method: 'S256',
      state: s.state,
      nonce: s.nonce,
      login_hint: 'alice',
    });
    const requestUri = s.url.searchParams.get('request_uri');
    check(requestUri?.startsWith('urn:ietf:params:oauth:request_uri:'), `request_uri ${inspect(requestUri)}`);
    equal(s.url.searchParams.get('redirect_uri'), null, 'redirect_uri in the front channel');
    return requestUri;
  }],

  ['the request_uri logs alice in and authorizationCodeGrant verifies the ID token', async () => {
    const response = await fetch(s.url, { redirect: 'manual' });
    const location = response.headers.get('location');
    check(response.status === 302 && location, `expected 302, got ${response.status}: ${await response.text()}`);
    const callback = new URL(location);
    equal(callback.searchParams.get('state'), s.state, 'state');
    const tokens = await client.authorizationCodeGrant(s.config, callback, {
      pkceCodeVerifier: s.verifier,
      expectedState: s.state,
      expectedNonce: s.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    equal(claims.nonce, s.nonce, 'ID token nonce');
    equal(claims.azp, 'web-app', 'ID token azp');
    return `sub=${claims.sub}`;
  }],

  ['the request_uri is single use', async () => {
    const response = await fetch(s.url, { redirect: 'manual' });
    equal(response.status, 400, 'second use status');
    equal(response.headers.get('location'), null, 'second use redirect');
    return 'refused on a page';
  }],

  ['a pushed request with a wrong secret is refused', async () => {
    const wrong = await client.discovery(issuer, 'web-app', 'wrong', client.ClientSecretBasic(), insecure);
    try {
      await client.buildAuthorizationUrlWithPAR(wrong, { redirect_uri: REDIRECT, scope: 'openid' });
    } catch (err) {
      check(err instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${inspect(err)}`);
      equal(err.status, 401, 'status');
      return `${err.error}: ${err.error_description}`;
    }
    throw new AssertionFailed('a wrong secret was accepted');
  }],
];

const ok = await runSteps('openid-client PAR', steps);
process.exit(ok ? 0 : 1);
