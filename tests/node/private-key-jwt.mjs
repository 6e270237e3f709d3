// openid-client v6 (panva) authenticating with private_key_jwt (RFC 7523 §2.2) to the mock's
// Keycloak flavor: its public key registered as the client's `jwks`, then served at the client's
// own `jwks_uri` (Keycloak's "Use JWKS URL") and rotated there.
//
//   node private-key-jwt.mjs http://127.0.0.1:PORT/realms/demo
//
// Creates its clients through the mock's admin API (loopback only). Run by
// tests/e2e/node_client.rs; prints one line per step and a summary line
// ("openid-client private_key_jwt: N passed, M failed"), and exits non-zero on the first failure.

import * as client from 'openid-client';
import { createServer } from 'node:http';
import { inspect } from 'node:util';
import { AssertionFailed, check, equal, runSteps } from './steps.mjs';

const insecure = { execute: [client.allowInsecureRequests] };
const issuer = new URL(process.argv[2] ?? '');
const admin = `${issuer.origin}/_mock/realms/${issuer.pathname.split('/').pop()}`;

/** An ES256 key pair and its public JWK named `kid`. */
async function keyPair(kid) {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { privateKey: pair.privateKey, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' } };
}

async function createClient(body) {
  const response = await fetch(`${admin}/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  check(response.status === 201, `creating ${body.client_id}: ${response.status} ${await response.text()}`);
}

async function serviceToken(id, key) {
  const config = await client.discovery(issuer, id, {}, client.PrivateKeyJwt({ key: key.privateKey, kid: key.jwk.kid }), insecure);
  return client.clientCredentialsGrant(config);
}

/** The client's own key endpoint: serves `keys.current`, counts fetches. */
const keys = { current: null, fetches: 0 };
const server = createServer((request, response) => {
  keys.fetches += 1;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ keys: [keys.current] }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const jwksUri = `http://127.0.0.1:${server.address().port}/jwks`;
const confidential = (id, extra) => ({
  client_id: id,
  kind: 'confidential',
  secret: `${id}-unused-secret`,
  grant_types: ['client_credentials'],
  ...extra,
});

const s = {};

const steps = [
  ['a client whose registered jwks holds its public key gets a token', async () => {
    s.registered = await keyPair('registered-1');
    await createClient(confidential('pkjwt-registered', { jwks: { keys: [s.registered.jwk] } }));
    const tokens = await serviceToken('pkjwt-registered', s.registered);
    equal(tokens.token_type.toLowerCase(), 'bearer', 'token_type');
    return `expires_in=${tokens.expires_in}`;
  }],

  ['a key the client did not register is refused', async () => {
    const stranger = await keyPair('registered-1');
    try {
      await serviceToken('pkjwt-registered', stranger);
    } catch (err) {
      check(err instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${inspect(err)}`);
      // Keycloak 26.7.3 (a real run): 400 invalid_client, in its validator's words.
      equal(err.status, 400, 'status');
      equal(err.error, 'invalid_client', 'error');
      equal(
        err.error_description,
        'Client authentication with signed JWT failed: Signature on JWT token failed validation',
        'error_description',
      );
      return `${err.error}: ${err.error_description}`;
    }
    throw new AssertionFailed('a foreign key was accepted');
  }],

  ['a client with a jwks_uri: the mock fetches its keys from the client', async () => {
    s.first = await keyPair('url-1');
    keys.current = s.first.jwk;
    await createClient(confidential('pkjwt-url', { jwks_uri: jwksUri }));
    await serviceToken('pkjwt-url', s.first);
    await serviceToken('pkjwt-url', s.first);
    equal(keys.fetches, 1, 'fetches for two assertions (the second used the cached set)');
    return `${keys.fetches} fetch`;
  }],

  ['after the client rotates its key at the URL, the new key works once 10 s have passed', async () => {
    s.second = await keyPair('url-2');
    keys.current = s.second.jwk;
    // Keycloak asks a client's URL at most every 10 s; the mock's clock moves past that.
    const advanced = await fetch(`${issuer.origin}/_mock/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 10 }),
    });
    equal(advanced.status, 200, 'clock advance');
    await serviceToken('pkjwt-url', s.second);
    equal(keys.fetches, 2, 'fetches after the unknown kid');
    try {
      await serviceToken('pkjwt-url', s.first);
    } catch (err) {
      equal(err.status, 400, 'the retired key');
      equal(err.error_description, 'Unable to load public key', 'the retired key');
      return 'new key accepted, retired key refused';
    }
    throw new AssertionFailed('the retired key was accepted');
  }],
];

const ok = await runSteps('openid-client private_key_jwt', steps);
server.close();
process.exit(ok ? 0 : 1);
