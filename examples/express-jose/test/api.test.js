import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { promisify } from 'node:util';
import { findBinary, mockIdpFromEnv, startMockIdp } from '@idp-harness/mock-idp';
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
  // This server's issuer and claims, but signed with freshly generated keys (new kids): jose
  // refetches the JWKS for the unknown kid, finds no match, and refuses the token.
  const run = promisify(execFile);
  const dir = await mkdtemp(join(tmpdir(), 'express-jose-keys-'));
  await run(findBinary(), ['keys', 'generate', '--out', dir]);
  const { stdout } = await run(findBinary(), [
    'token', '--provider', 'keycloak', '--port', String(idp.port), '--keys', dir,
    '--user', 'alice', '--client', 'web-app',
  ]);
  const response = await get(api.url, '/messages', stdout.trim());
  expect(response.status).toBe(401);
  expect((await response.json()).reason).toBe('ERR_JWKS_NO_MATCHING_KEY');
});

test('an expired token is 401', async () => {
  // A realm whose access tokens live 1 s, and an API trusting it.
  const dir = await mkdtemp(join(tmpdir(), 'express-jose-'));
  const world = join(dir, 'world.toml');
  await writeFile(
    world,
    `default_realm = "demo"
[realms.demo]
scopes = ["openid", "profile", "read:messages"]
roles = ["user"]
[realms.demo.lifetimes]
access_token_secs = 1
[realms.demo.clients.web-app]
kind = "confidential"
secret = "web-app-secret"
grant_types = ["password"]
[realms.demo.clients.api]
kind = "confidential"
secret = "api-secret"
grant_types = ["client_credentials"]
audience_scopes = ["read:messages"]
[realms.demo.users.bob]
id = "0b6f3c1e-2d4a-4f5b-9c8d-7e6f5a4b3c2d"
password = "bob-password"
realm_roles = ["user"]
`,
  );
  const shortLived = await startMockIdp({ provider: 'keycloak', world });
  const shortApi = await serve(createApp({ serverUrl: shortLived.baseUrl, realm: 'demo', audience: 'api' }));
  try {
    const { accessToken, expiresIn } = await shortLived.tokenFor('bob', 'web-app');
    expect(expiresIn).toBe(1);
    expect((await get(shortApi.url, '/messages', accessToken)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const response = await get(shortApi.url, '/messages', accessToken);
    expect(response.status).toBe(401);
    expect((await response.json()).reason).toBe('ERR_JWT_EXPIRED');
  } finally {
    await shortApi.close();
    await shortLived.stop();
  }
});
