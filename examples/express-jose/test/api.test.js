import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { Fault, mockIdpFromEnv, startMockIdp } from '@idp-harness/mock-idp';
import { createApp } from '../app.js';

// The mock the globalSetup started (Keycloak flavor, default world: alice has the realm roles
// user + admin, bob only user; the `read:messages` scope puts the `api` client in `aud`).
const idp = mockIdpFromEnv();

/** Serves `app` on a free loopback port. */
async function serve(app) {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve).closeAllConnections()),
  };
}

const get = (base, path, token) =>
  fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

let api;
beforeAll(async () => {
  api = await serve(
    createApp({
      serverUrl: process.env.KEYCLOAK_SERVER_URL,
      realm: process.env.KEYCLOAK_REALM,
      audience: 'api',
    }),
  );
});
afterAll(() => api?.close());
// Each test starts from the world as loaded (keys, clock, faults, queued claims).
beforeEach(() => idp.reset());

test('a user with the realm role reads messages', async () => {
  const { accessToken } = await idp.tokenFor('bob', 'web-app');
  const response = await get(api.url, '/messages', accessToken);
  expect(response.status).toBe(200);
  expect((await response.json()).for).toBe('bob');
});

test('the admin route needs the admin realm role (403 without it)', async () => {
  const bob = (await idp.tokenFor('bob', 'web-app')).accessToken;
  expect((await get(api.url, '/admin/stats', bob)).status).toBe(403);
  const alice = (await idp.tokenFor('alice', 'web-app')).accessToken;
  expect((await get(api.url, '/admin/stats', alice)).status).toBe(200);
});

test('no token or a garbled one is 401 with a Bearer challenge', async () => {
  const none = await get(api.url, '/messages');
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
  const garbled = await get(api.url, '/messages', 'not-a-jwt');
  expect(garbled.status).toBe(401);
  expect(garbled.headers.get('www-authenticate')).toContain('invalid_token');
});

test('a valid realm token for another audience is 401', async () => {
  // The `service` client's token is signed by the realm but its aud is only `account`.
  const { accessToken } = await idp.serviceToken('service');
  const response = await get(api.url, '/messages', accessToken);
  expect(response.status).toBe(401);
  expect((await response.json()).reason).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
});

test('a token from another issuer is 401', async () => {
  // Same realm name and (embedded) keys, but another server: the iss check refuses it.
  const other = await startMockIdp({ provider: 'keycloak' });
  try {
    const { accessToken } = await other.tokenFor('alice', 'web-app');
    expect((await get(api.url, '/messages', accessToken)).status).toBe(401);
  } finally {
    await other.stop();
  }
});

test('a token signed by keys the realm does not publish is 401', async () => {
  // This server's issuer and claims, re-signed with a key of our own under a kid the realm does
  // not publish: jose refetches the JWKS for the unknown kid, finds no match, and refuses it.
  const { accessToken } = await idp.tokenFor('alice', 'web-app');
  const { privateKey } = await generateKeyPair('RS256');
  const forged = await new SignJWT(decodeJwt(accessToken))
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'not-published-by-the-realm' })
    .sign(privateKey);
  const response = await get(api.url, '/messages', forged);
  expect(response.status).toBe(401);
  expect((await response.json()).reason).toBe('ERR_JWKS_NO_MATCHING_KEY');
});

test("an expired token is 401 (issued with the mock's clock an hour back: no waiting)", async () => {
  await idp.admin.clock.set(Math.floor(Date.now() / 1000) - 3600);
  const { accessToken } = await idp.tokenFor('bob', 'web-app');
  await idp.admin.clock.reset();
  const response = await get(api.url, '/messages', accessToken);
  expect(response.status).toBe(401);
  expect((await response.json()).reason).toBe('ERR_JWT_EXPIRED');
});

test('a claim the test shapes: bob with the admin role for one token', async () => {
  await idp.admin.claims.queue({ claims: { realm_access: { roles: ['user', 'admin'] } }, user: 'bob', client: 'web-app' });
  const shaped = (await idp.tokenFor('bob', 'web-app')).accessToken;
  expect((await get(api.url, '/admin/stats', shaped)).status).toBe(200);
  const plain = (await idp.tokenFor('bob', 'web-app')).accessToken;
  expect((await get(api.url, '/admin/stats', plain)).status).toBe(403);
});

test('key rotation: old and new tokens pass during the overlap, once the API may refetch the keys', async () => {
  // A fresh API (its own key cache), as after a deploy.
  const fresh = await serve(createApp({ serverUrl: idp.baseUrl, realm: idp.realm, audience: 'api', jwksCooldownMs: 0 }));
  const cautious = await serve(createApp({ serverUrl: idp.baseUrl, realm: idp.realm, audience: 'api' }));
  try {
    const old = (await idp.tokenFor('alice', 'web-app')).accessToken;
    expect((await get(fresh.url, '/messages', old)).status).toBe(200);
    expect((await get(cautious.url, '/messages', old)).status).toBe(200);
    await idp.admin.keys.rotate({ overlapSeconds: 600 });
    const rotated = (await idp.tokenFor('alice', 'web-app')).accessToken;
    // The new kid makes jose fetch the keys again: both tokens pass.
    expect((await get(fresh.url, '/messages', rotated)).status).toBe(200);
    expect((await get(fresh.url, '/messages', old)).status).toBe(200);
    // With jose's default 30 s cooldown, a new key is refused until the cooldown since the last
    // fetch has passed: the pitfall a rotation test exists to show.
    const refused = await get(cautious.url, '/messages', rotated);
    expect(refused.status).toBe(401);
    expect((await refused.json()).reason).toBe('ERR_JWKS_NO_MATCHING_KEY');
  } finally {
    await fresh.close();
    await cautious.close();
  }
});

test('the provider down or slow is 503 with Retry-After, not a 401, a 500 or a hang', async () => {
  const { accessToken } = await idp.tokenFor('alice', 'web-app');
  for (const fault of [Fault.outage(), Fault.dropConnection(), Fault.malformedJson(), Fault.delay(1500)]) {
    // A fresh API has no keys cached: it must fetch them now.
    const fresh = await serve(
      createApp({ serverUrl: idp.baseUrl, realm: idp.realm, audience: 'api', jwksTimeoutMs: 300 }),
    );
    try {
      await idp.admin.faults.add('jwks', fault, { scope: 'once' });
      const response = await get(fresh.url, '/messages', accessToken);
      expect(response.status, fault.kind).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      // Once Keycloak is back, the same token passes.
      expect((await get(fresh.url, '/messages', accessToken)).status, fault.kind).toBe(200);
    } finally {
      await fresh.close();
    }
  }
});
