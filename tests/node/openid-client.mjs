// openid-client v6 (panva) as a real relying party of the mock IdP.
//
//   node openid-client.mjs http://127.0.0.1:PORT/demo
//
// The mock must run with auto_approve (a login_hint naming a user logs them in without the
// page). Run by tests/e2e/node_client.rs; prints one line per step and a summary line, and
// exits non-zero on the first failure (later steps depend on earlier ones).

import * as client from 'openid-client';
import { inspect } from 'node:util';

const ALICE_ID = '7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b';
const WEB_APP_REDIRECT = 'http://127.0.0.1:5000/callback';
const SPA_REDIRECT = 'http://127.0.0.1:5173/callback';
const insecure = { execute: [client.allowInsecureRequests] };

const issuerArg = process.argv[2];
if (!issuerArg) {
  console.error('usage: node openid-client.mjs <issuer URL>');
  process.exit(2);
}
let issuer;
try {
  issuer = new URL(issuerArg);
} catch {
  console.error(`openid-client: not a URL: ${issuerArg}`);
  process.exit(2);
}

class AssertionFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new AssertionFailed(message);
}

function equal(actual, expected, what) {
  check(actual === expected, `${what}: expected ${inspect(expected)}, got ${inspect(actual)}`);
}

async function describeCause(cause) {
  if (cause instanceof Response) {
    let body = '';
    try {
      body = (await cause.text()).slice(0, 500);
    } catch {
      body = '(body unreadable)';
    }
    return `HTTP ${cause.status} from ${cause.url}: ${inspect(body)}`;
  }
  if (cause instanceof Error) return `${cause.name}: ${cause.message}${cause.code ? ` (${cause.code})` : ''}`;
  return inspect(cause, { depth: 4 });
}

async function describeError(err) {
  if (err instanceof AssertionFailed) return err.message;
  if (err instanceof client.ResponseBodyError) {
    return `${err.name} from the server: HTTP ${err.status}, error=${inspect(err.error)}, ` +
      `error_description=${inspect(err.error_description)}, body=${inspect(err.cause)}`;
  }
  const parts = [`${err?.name ?? 'Error'}: ${err?.message ?? inspect(err)}`];
  if (err?.code) parts.push(`code=${err.code}`);
  if (err?.cause !== undefined) parts.push(`cause=${await describeCause(err.cause)}`);
  return parts.join(' ');
}

// Expects `promise` to reject with an OAuth error response carrying `error`.
async function expectOAuthError(promise, error, what) {
  let result;
  try {
    result = await promise;
  } catch (err) {
    check(
      err instanceof client.ResponseBodyError,
      `${what}: expected a ResponseBodyError (${error}), got ${await describeError(err)}`,
    );
    equal(err.error, error, `${what}: error code`);
    return;
  }
  throw new AssertionFailed(`${what}: expected ${error}, but the server answered ${inspect(result)}`);
}

async function discover(clientId, metadata, auth) {
  return client.discovery(issuer, clientId, metadata, auth, insecure);
}

// Authorization code flow with PKCE S256, state and nonce; returns the token response and the
// checks used. The mock's auto_approve answers the authorization request with a redirect.
async function codeFlow(config, redirectUri, scope) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: 'alice',
  });
  const response = await fetch(authUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  check(
    response.status === 302 && location,
    `GET ${authUrl}: expected 302 with a Location, got ${response.status} ` +
      `location=${inspect(location)} body=${inspect((await response.text()).slice(0, 500))}`,
  );
  const callback = new URL(location, authUrl);
  equal(`${callback.origin}${callback.pathname}`, redirectUri, 'redirect target');
  check(callback.searchParams.get('code'), `no code in the redirect: ${callback}`);
  equal(callback.searchParams.get('state'), state, 'state in the redirect');
  equal(callback.searchParams.get('iss'), config.serverMetadata().issuer, 'iss in the redirect (RFC 9207)');
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, nonce };
}

function assertBearer(tokens, what) {
  check(typeof tokens.access_token === 'string' && tokens.access_token.length > 0, `${what}: no access_token`);
  equal(String(tokens.token_type).toLowerCase(), 'bearer', `${what}: token_type`);
}

// State shared between the steps.
const s = {};

const steps = [
  ['service: discovery + clientCredentialsGrant(scope=read:messages)', async () => {
    const config = await discover('service', 'service-secret', client.ClientSecretBasic());
    equal(config.serverMetadata().issuer, issuer.href, 'discovered issuer');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read:messages' });
    assertBearer(tokens, 'client_credentials');
    equal(tokens.refresh_token, undefined, 'client_credentials refresh_token');
    return `token_type=${tokens.token_type} expires_in=${tokens.expires_in} scope=${tokens.scope}`;
  }],

  ['web-app: PKCE S256 code flow, authorizationCodeGrant verifies the ID token', async () => {
    s.webApp = await discover('web-app', 'web-app-secret', client.ClientSecretBasic());
    const { tokens, nonce } = await codeFlow(s.webApp, WEB_APP_REDIRECT, 'openid profile email offline_access');
    assertBearer(tokens, 'authorization_code');
    check(typeof tokens.refresh_token === 'string', 'authorization_code: no refresh_token despite offline_access');
    const claims = tokens.claims();
    check(claims, 'authorization_code: no ID token');
    equal(claims.iss, issuer.href, 'ID token iss');
    equal(claims.sub, ALICE_ID, 'ID token sub');
    equal(claims.email, 'alice@example.com', 'ID token email');
    equal(claims.nonce, nonce, 'ID token nonce');
    check([claims.aud].flat().includes('web-app'), `ID token aud does not include web-app: ${inspect(claims.aud)}`);
    s.first = tokens;
    return `sub=${claims.sub} email=${claims.email}`;
  }],

  ['web-app: fetchUserInfo', async () => {
    const info = await client.fetchUserInfo(s.webApp, s.first.access_token, ALICE_ID);
    equal(info.sub, ALICE_ID, 'userinfo sub');
    equal(info.name, 'Alice Example', 'userinfo name');
    return `name=${info.name}`;
  }],

  ['web-app: refreshTokenGrant rotates the access and refresh tokens', async () => {
    const tokens = await client.refreshTokenGrant(s.webApp, s.first.refresh_token);
    assertBearer(tokens, 'refresh_token');
    check(tokens.access_token !== s.first.access_token, 'refresh returned the same access token');
    check(typeof tokens.refresh_token === 'string', 'refresh returned no refresh_token (no rotation)');
    check(tokens.refresh_token !== s.first.refresh_token, 'refresh returned the same refresh token (no rotation)');
    s.second = tokens;
    return 'new access token, new refresh token';
  }],

  // Introspection and revocation come before the refresh-token replay below, because the replay
  // revokes the whole grant family (RFC 9700 §4.14.2) and every access token with it.
  ['api: tokenIntrospection of the newest access token is active', async () => {
    s.api = await discover('api', 'api-secret', client.ClientSecretBasic());
    const info = await client.tokenIntrospection(s.api, s.second.access_token);
    equal(info.active, true, 'introspection active');
    equal(info.client_id, 'web-app', 'introspection client_id');
    equal(info.sub, ALICE_ID, 'introspection sub');
    const first = await client.tokenIntrospection(s.api, s.first.access_token);
    equal(first.active, true, 'introspection of the first access token (before any replay)');
    return `active=${info.active} client_id=${info.client_id} sub=${info.sub}`;
  }],

  ['web-app: tokenRevocation, then introspection says inactive', async () => {
    await client.tokenRevocation(s.webApp, s.second.access_token);
    const info = await client.tokenIntrospection(s.api, s.second.access_token);
    equal(info.active, false, 'introspection active after revocation');
    return `active=${info.active}`;
  }],

  ['web-app: the rotated (old) refresh token is refused with invalid_grant', async () => {
    await expectOAuthError(
      client.refreshTokenGrant(s.webApp, s.first.refresh_token),
      'invalid_grant',
      'refresh with the rotated refresh token',
    );
    // Reuse detection revoked the family: the newest refresh token and the first access
    // token stop working too.
    await expectOAuthError(
      client.refreshTokenGrant(s.webApp, s.second.refresh_token),
      'invalid_grant',
      'refresh with the newest refresh token after the replay',
    );
    const info = await client.tokenIntrospection(s.api, s.first.access_token);
    equal(info.active, false, 'introspection of the first access token after the replay');
    return 'invalid_grant; grant family revoked';
  }],

  ['spa: public client (none) code flow with S256 PKCE', async () => {
    const spa = await discover('spa', { token_endpoint_auth_method: 'none' }, client.None());
    const { tokens } = await codeFlow(spa, SPA_REDIRECT, 'openid profile email');
    assertBearer(tokens, 'spa authorization_code');
    const claims = tokens.claims();
    check(claims, 'spa: no ID token');
    equal(claims.sub, ALICE_ID, 'spa ID token sub');
    check([claims.aud].flat().includes('spa'), `spa ID token aud does not include spa: ${inspect(claims.aud)}`);
    return `sub=${claims.sub}`;
  }],

  ['tv: device flow (RFC 8628): initiateDeviceAuthorization, the user approves, pollDeviceAuthorizationGrant', async () => {
    s.tv = await discover('tv', { token_endpoint_auth_method: 'none' }, client.None());
    check(s.tv.serverMetadata().device_authorization_endpoint, 'discovery has no device_authorization_endpoint');
    const device = await client.initiateDeviceAuthorization(s.tv, { scope: 'openid' });
    check(typeof device.user_code === 'string' && device.verification_uri_complete.includes(device.user_code),
      `device response: ${inspect(device)}`);
    await consentOnPage(device, true);
    const tokens = await client.pollDeviceAuthorizationGrant(s.tv, device);
    assertBearer(tokens, 'device_code');
    equal(tokens.claims()?.sub, ALICE_ID, 'device ID token sub');
    return `user_code=${device.user_code} interval=${device.interval}`;
  }],

  ['tv: a refused device authorization ends in access_denied', async () => {
    const device = await client.initiateDeviceAuthorization(s.tv, { scope: 'openid' });
    await consentOnPage(device, false);
    await expectOAuthError(client.pollDeviceAuthorizationGrant(s.tv, device), 'access_denied', 'refused device poll');
    return 'access_denied';
  }],
];

// The user on the mock's user-code page: sign in as alice (pick), then grant or refuse.
async function consentOnPage(device, accept) {
  const form = (fields) => fetch(device.verification_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  const consent = await form({ user_code: device.user_code, action: 'login', pick: 'alice' });
  const html = await consent.text();
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)?.[1];
  check(consent.status === 200 && ticket, `no consent form: HTTP ${consent.status} ${html.slice(0, 200)}`);
  const answer = accept ? { accept: 'Yes' } : { cancel: 'No' };
  const done = await form({ user_code: device.user_code, ticket, ...answer });
  equal(done.status, 200, 'consent answer status');
}

let passed = 0;
let failed = 0;
for (const [index, [name, run]] of steps.entries()) {
  const label = `${index + 1}/${steps.length} ${name}`;
  try {
    const detail = await run();
    passed += 1;
    console.log(`ok   ${label}${detail ? ` (${detail})` : ''}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${label}: ${await describeError(err)}`);
    const skipped = steps.length - index - 1;
    if (skipped > 0) console.log(`stopped: ${skipped} later step(s) not run`);
    break;
  }
}
console.log(`openid-client: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
