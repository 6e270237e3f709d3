// `idp.admin` against the real binary (Keycloak flavor): every resource of the admin API from
// node, what a client then sees, and the admin API's problems. One server for the file, reset
// before each test as a suite's per-test hook would.

import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Fault, FaultScope, MockIdpAdminError, startMockIdp } from '@idp-harness/mock-idp';
import { claims } from './helpers.js';

let idp;
beforeAll(async () => {
  idp = await startMockIdp({ provider: 'keycloak' });
});
afterAll(() => idp?.stop());
beforeEach(() => idp.reset());

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function tokenRequest(form, auth = basic('web-app', 'web-app-secret')) {
  return fetch(idp.url('token'), {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

async function introspect(token) {
  const response = await fetch(idp.url('introspection'), {
    method: 'POST',
    headers: { authorization: basic('api', 'api-secret'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return response.json();
}

/**
 * What a resource server does: the served JWK set, the issuer, the `api` audience; "now" is the
 * mock's clock (as a resource server under test would be given it).
 */
async function verify(token) {
  const keys = await (await fetch(idp.jwksUri)).json();
  const { now } = await idp.admin.clock.get();
  return jwtVerify(token, createLocalJWKSet(keys), {
    issuer: idp.issuer,
    audience: 'api',
    currentDate: new Date(now * 1000),
  });
}

async function refusal(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('users', () => {
  it('are created, read, changed, disabled and deleted, and tokens follow', async () => {
    const created = await idp.admin.users.create({ username: 'dora', password: 'dora-pw', realm_roles: ['user'] });
    expect(created.username).toBe('dora');
    expect((await idp.admin.users.get('dora')).realm_roles).toEqual(['user']);
    expect((await idp.admin.users.list()).map((u) => u.username)).toContain('dora');
    const token = await idp.tokenFor('dora', 'web-app');
    expect(claims(token.accessToken).realm_access.roles).toContain('user');

    await idp.admin.users.update('dora', { realm_roles: ['user', 'admin'] });
    expect(claims((await idp.tokenFor('dora', 'web-app')).accessToken).realm_access.roles).toContain('admin');

    await idp.admin.users.disable('dora');
    const disabled = await refusal(idp.tokenFor('dora', 'web-app'));
    expect(disabled.message).toMatch(/409/);

    await idp.admin.users.delete('dora');
    const gone = await refusal(idp.admin.users.get('dora'));
    expect(gone).toBeInstanceOf(MockIdpAdminError);
    expect(gone.status).toBe(404);
    expect(gone.problem.status).toBe(404);
  });

  it('bad input is a 4xx problem naming the cause, never a 500', async () => {
    const taken = await refusal(idp.admin.users.create({ username: 'alice', password: 'x' }));
    expect(taken.status).toBe(409);
    const wrongType = await refusal(idp.admin.users.create({ username: 'eve', password: 42 }));
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    expect(wrongType.status).toBeLessThan(500);
    const unknownField = await refusal(idp.admin.users.create({ username: 'eve', password: 'x', colour: 'red' }));
    expect(unknownField.status).toBe(422);
    expect(unknownField.problem.detail).toMatch(/colour/);
    const noRealm = await refusal(idp.admin.users.list({ realm: 'nowhere' }));
    expect(noRealm.status).toBe(404);
  });
});

describe('clients', () => {
  it('a created client gets tokens; a changed secret takes effect on the next request; deleted, it is gone', async () => {
    await idp.admin.clients.create({
      client_id: 'batch',
      kind: 'confidential',
      secret: 'batch-secret',
      grant_types: ['client_credentials'],
    });
    expect((await idp.serviceToken('batch')).tokenType).toBe('Bearer');
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basic('batch', 'batch-secret'))).status).toBe(200);
    await idp.admin.clients.update('batch', { secret: 'rotated' });
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basic('batch', 'batch-secret'))).status).toBe(401);
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basic('batch', 'rotated'))).status).toBe(200);
    await idp.admin.clients.delete('batch');
    expect((await refusal(idp.admin.clients.get('batch'))).status).toBe(404);
  });
});

describe('claim shaping', () => {
  it('a queued claim reaches exactly the next N tokens of that client and user', async () => {
    await idp.admin.claims.queue({ claims: { tenant: 'acme' }, client: 'web-app', user: 'alice', count: 2 });
    expect(await idp.admin.claims.list()).toHaveLength(1);
    const bob = await idp.tokenFor('bob', 'web-app');
    expect(claims(bob.accessToken).tenant).toBeUndefined();
    const first = await idp.tokenFor('alice', 'web-app');
    const second = await idp.tokenFor('alice', 'web-app');
    const third = await idp.tokenFor('alice', 'web-app');
    expect([first, second, third].map((t) => claims(t.accessToken).tenant)).toEqual(['acme', 'acme', undefined]);
    // The shaped token still verifies: the mock signs it.
    expect((await verify(first.accessToken)).payload.tenant).toBe('acme');
  });

  it('a mapping rule shapes every matching token until cleared', async () => {
    await idp.admin.mappings.add({ client: 'service', claims: { plan: 'gold' }, remove: ['azp'] });
    for (let i = 0; i < 2; i += 1) {
      const shaped = claims((await idp.serviceToken('service')).accessToken);
      expect(shaped.plan).toBe('gold');
      expect(shaped.azp).toBeUndefined();
    }
    expect(claims((await idp.tokenFor('alice', 'web-app')).accessToken).plan).toBeUndefined();
    await idp.admin.mappings.clear();
    expect(claims((await idp.serviceToken('service')).accessToken).plan).toBeUndefined();
  });
});

describe('faults', () => {
  const token = () => tokenRequest({ grant_type: 'client_credentials' }, basic('service', 'service-secret'));

  it('a status, a delay, a dropped connection and malformed JSON are what the client sees', async () => {
    await idp.admin.faults.add('token', Fault.status(503), { scope: 'once' });
    expect((await token()).status).toBe(503);
    expect((await token()).status).toBe(200);

    await idp.admin.faults.add('token', Fault.delay(300), { scope: 'once' });
    const started = performance.now();
    expect((await token()).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    await idp.admin.faults.add('token', Fault.dropConnection(), { scope: 'once' });
    await expect(token()).rejects.toThrow();

    await idp.admin.faults.add('discovery', Fault.malformedJson(), { scope: 'once' });
    const cut = await fetch(idp.discoveryUrl);
    await expect(cut.json()).rejects.toThrow();
  });

  it('JWKS faults: an outage, an empty set, a stale set after rotation, a huge set', async () => {
    await idp.admin.faults.add('jwks', Fault.outage(), { scope: 'once' });
    const outage = await fetch(idp.jwksUri);
    expect(outage.status).toBe(503);
    expect((await outage.json()).error).toBe('temporarily_unavailable');

    await idp.admin.faults.add('jwks', Fault.emptyKeySet(), { scope: 'once' });
    expect((await (await fetch(idp.jwksUri)).json()).keys).toEqual([]);

    const before = (await (await fetch(idp.jwksUri)).json()).keys.map((k) => k.kid);
    await idp.admin.keys.rotate();
    await idp.admin.faults.add('jwks', Fault.staleKeySet(), { scope: 'once' });
    expect((await (await fetch(idp.jwksUri)).json()).keys.map((k) => k.kid)).toEqual(before);

    await idp.admin.faults.add('jwks', Fault.hugeKeySet(200_000), { scope: 'once' });
    expect((await (await fetch(idp.jwksUri)).text()).length).toBeGreaterThanOrEqual(200_000);
  });

  it('scopes: N times, until cleared or removed; hit counters count what the endpoint received', async () => {
    await idp.admin.faults.clearHits();
    await idp.admin.faults.add('token', Fault.status(500), { scope: FaultScope.times(2) });
    expect([(await token()).status, (await token()).status, (await token()).status]).toEqual([500, 500, 200]);

    const id = await idp.admin.faults.add('token', Fault.status(502));
    expect((await idp.admin.faults.list()).map((rule) => rule.id)).toContain(id);
    expect([(await token()).status, (await token()).status]).toEqual([502, 502]);
    await idp.admin.faults.remove(id);
    expect((await token()).status).toBe(200);
    expect(await idp.admin.faults.hitCount('token')).toBe(6);

    await idp.admin.faults.add('token', Fault.status(503));
    await idp.admin.faults.clear();
    expect((await token()).status).toBe(200);
    expect((await refusal(idp.admin.faults.remove(id))).status).toBe(404);
  });

  it('a seeded probability gives the same sequence after a reset', async () => {
    const sequence = async () => {
      await idp.admin.faults.add('jwks', Fault.status(503), { scope: FaultScope.probability(0.5, 7) });
      const statuses = [];
      for (let i = 0; i < 16; i += 1) statuses.push((await fetch(idp.jwksUri)).status);
      return statuses;
    };
    const first = await sequence();
    await idp.reset();
    const second = await sequence();
    expect(second).toEqual(first);
    expect(first).toContain(503);
    expect(first).toContain(200);
  });
});

describe('keys', () => {
  it('tokens signed before and after a rotation both verify during the overlap; after retirement only new ones', async () => {
    const old = (await idp.tokenFor('alice', 'web-app')).accessToken;
    const rotated = await idp.admin.keys.rotate({ overlapSeconds: 600 });
    const rs256 = (state) => rotated.filter((key) => key.alg === 'RS256' && key.state === state);
    expect(rs256('active')).toHaveLength(1);
    expect(rs256('retired')).toHaveLength(1);
    const fresh = (await idp.tokenFor('alice', 'web-app')).accessToken;
    expect(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url')).kid).toBe(rs256('active')[0].kid);
    await verify(old);
    await verify(fresh);

    await idp.admin.keys.retire();
    await verify(fresh);
    const retired = await refusal(verify(old));
    expect(retired).toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('a published key is in the set but never signs', async () => {
    const kid = await idp.admin.keys.publish('ES256');
    const served = (await (await fetch(idp.jwksUri)).json()).keys.map((k) => k.kid);
    expect(served).toContain(kid);
    expect(JSON.parse(Buffer.from((await idp.serviceToken('service')).accessToken.split('.')[0], 'base64url')).kid).not.toBe(kid);
  });
});

describe('clock', () => {
  it('advancing past exp makes introspection inactive and a verifier refuse the token, without sleeping', async () => {
    const { accessToken, expiresIn } = await idp.tokenFor('alice', 'web-app');
    expect((await introspect(accessToken)).active).toBe(true);
    const state = await idp.admin.clock.advance(expiresIn + 1);
    expect(state.offset_seconds).toBe(expiresIn + 1);
    expect(await introspect(accessToken)).toEqual({ active: false });
    const expired = await refusal(verify(accessToken));
    expect(expired).toBeInstanceOf(errors.JWTExpired);
    expect((await idp.admin.clock.reset()).offset_seconds).toBe(0);
  });

  it('a bad clock call is a problem naming the member', async () => {
    const bad = await refusal(idp.admin.clock.advance('soon'));
    expect(bad.status).toBe(422);
    expect(bad.problem.field ?? bad.problem.detail).toMatch(/seconds/);
  });
});

describe('request log', () => {
  it('lists answered requests filtered, with secrets masked and issued tokens decoded', async () => {
    await idp.admin.log.clear();
    await idp.tokenFor('alice', 'web-app');
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basic('service', 'wrong'))).status).toBe(401);
    const entries = await idp.admin.log.entries({ endpoint: 'Token' });
    expect(entries.map((e) => e.status)).toEqual([200, 401]);
    expect(JSON.stringify(entries)).not.toContain('wrong');
    expect(entries[1].headers.authorization).toBe('Basic [masked]');
    const issued = entries[0].tokens.find((t) => t.source === 'response:access_token');
    expect(issued.claims.azp).toBe('web-app');
    const refused = await idp.admin.log.query({ endpoint: 'Token', status: 401 });
    expect(refused.entries.map((e) => e.client)).toEqual(['service']);
    expect(refused.capacity).toBeGreaterThan(0);
    await idp.admin.log.clear();
    expect(await idp.admin.log.entries({ endpoint: 'Token' })).toEqual([]);
  });
});

describe('reset and mint', () => {
  it('reset brings back the world as loaded', async () => {
    await idp.admin.users.create({ username: 'temp', password: 'temp-pw' });
    await idp.admin.clock.advance(3600);
    const parts = await idp.reset();
    expect(parts).toEqual(expect.arrayContaining(['realms', 'store', 'keys', 'faults', 'clock', 'log']));
    expect((await refusal(idp.admin.users.get('temp'))).status).toBe(404);
    expect((await idp.admin.clock.get()).offset_seconds).toBe(0);
  });

  it.each([
    ['expired', errors.JWTExpired],
    ['not_yet_valid', errors.JWTClaimValidationFailed],
    ['wrong_issuer', errors.JWTClaimValidationFailed],
    ['wrong_audience', errors.JWTClaimValidationFailed],
    ['unknown_kid', errors.JWKSNoMatchingKey],
    ['bad_signature', errors.JWSSignatureVerificationFailed],
  ])('a minted %s token is refused by jose', async (defect, refused) => {
    const { accessToken } = await idp.mint({ user: 'alice', client: 'web-app', defects: [defect] });
    expect(await refusal(verify(accessToken))).toBeInstanceOf(refused);
  });

  it('alg none is refused and a clean minted token with extra claims verifies', async () => {
    const none = (await idp.mint({ user: 'alice', client: 'web-app', defects: ['alg_none'] })).accessToken;
    expect(JSON.parse(Buffer.from(none.split('.')[0], 'base64url')).alg).toBe('none');
    await expect(verify(none)).rejects.toThrow();
    const clean = (await idp.mint({ user: 'alice', client: 'web-app', claims: { tenant: 'acme' } })).accessToken;
    expect((await verify(clean)).payload.tenant).toBe('acme');
  });
});

describe('devices', () => {
  const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
  const form = (body) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  const start = async () => (await fetch(idp.url('device_authorization'), form({ client_id: 'tv', scope: 'openid' }))).json();
  const poll = async (deviceCode) => {
    await idp.admin.clock.advance(10); // past the polling interval: no slow_down
    const response = await fetch(idp.url('token'), form({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: 'tv' }));
    return { status: response.status, body: await response.json() };
  };

  it('approves, denies and expires pending device codes for the next poll', async () => {
    let started = await start();
    expect((await poll(started.device_code)).body.error).toBe('authorization_pending');
    await idp.admin.devices.approve(started.user_code, 'alice');
    const approved = await poll(started.device_code);
    expect(approved.status).toBe(200);
    expect(claims(approved.body.access_token).preferred_username).toBe('alice');
    const again = await refusal(idp.admin.devices.approve(started.user_code, 'alice'));
    expect(again).toBeInstanceOf(MockIdpAdminError);
    expect(again.status).toBe(404);

    started = await start();
    await idp.admin.devices.deny(started.user_code);
    expect((await poll(started.device_code)).body.error).toBe('access_denied');
    started = await start();
    await idp.admin.devices.expire(started.user_code);
    expect((await poll(started.device_code)).body.error).toBe('expired_token');
  });
});
