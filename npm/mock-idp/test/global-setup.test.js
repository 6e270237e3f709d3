import { expect, test } from 'vitest';
import { mockIdpFromEnv } from '@idp-harness/mock-idp';
import { claims } from './helpers.js';

// vitest.config.js runs test/global-setup.js (createGlobalSetup({ provider: 'keycloak' })) in
// the main process; this worker sees the server through the environment it set.

test('globalSetup sets the variables an app reads', async () => {
  const { OIDC_ISSUER, OIDC_DISCOVERY_URL, OIDC_JWKS_URI, KEYCLOAK_SERVER_URL, KEYCLOAK_REALM } = process.env;
  expect(OIDC_ISSUER).toBe(`${KEYCLOAK_SERVER_URL}/realms/${KEYCLOAK_REALM}`);
  const discovery = await (await fetch(OIDC_DISCOVERY_URL)).json();
  expect(discovery.issuer).toBe(OIDC_ISSUER);
  expect(discovery.jwks_uri).toBe(OIDC_JWKS_URI);
});

test('mockIdpFromEnv mints tokens for the globalSetup server, and does not own it', async () => {
  const idp = mockIdpFromEnv();
  expect(idp.provider).toBe('keycloak');
  expect(idp.pid).toBeUndefined();
  const { accessToken } = await idp.tokenFor('bob', 'web-app');
  expect(claims(accessToken).iss).toBe(process.env.OIDC_ISSUER);
  const userinfo = await fetch(idp.url('userinfo'), { headers: { authorization: `Bearer ${accessToken}` } });
  expect(userinfo.status).toBe(200);
  await idp.stop();
  expect((await fetch(process.env.OIDC_DISCOVERY_URL)).status).toBe(200);
});

test('a worker controls the globalSetup server through mockIdpFromEnv().admin', async () => {
  const idp = mockIdpFromEnv();
  await idp.admin.users.create({ username: 'worker-user', password: 'worker-pw' });
  expect((await idp.tokenFor('worker-user', 'web-app')).tokenType).toBe('Bearer');
  await idp.admin.users.delete('worker-user');
  await expect(idp.tokenFor('worker-user', 'web-app')).rejects.toThrow(/worker-user/);
});

test('mockIdpFromEnv without the variable says what to do', () => {
  expect(() => mockIdpFromEnv({})).toThrow(/globalSetup/);
});
