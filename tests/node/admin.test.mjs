// Every admin API resource of `mock-idp serve` from JavaScript `fetch` (node:test, no
// dependencies): clock, request log, users, clients, reset, the OpenAPI document, the bearer
// token, and malformed input (4xx problem bodies only).
//
//   MOCK_IDP_BIN=target/debug/mock-idp node --test tests/node/admin.test.mjs

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = process.env.MOCK_IDP_BIN ?? path.join(root, 'target', 'debug', 'mock-idp');
const ADMIN_TOKEN = 'node-admin-token';

/** Starts `mock-idp serve --port 0 ...extra`; resolves to { child, base }. */
function serve(...extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['serve', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => reject(new Error('mock-idp printed no address within 30 s')), 30_000);
    child.on('error', reject);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('mock-idp listening on ')) {
        clearTimeout(timer);
        resolve({ child, base: `http://${line.split(' ').pop()}` });
      }
    });
  });
}

let server;
let guarded;
let admin;
let meta;

before(async () => {
  server = await serve();
  guarded = await serve('--admin-token', ADMIN_TOKEN);
  admin = `${server.base}/_mock`;
  // The generic flavor serves the default realm `demo` at /demo (Keycloak would use /realms/demo).
  meta = await (await fetch(`${server.base}/demo/.well-known/openid-configuration`)).json();
  assert.ok(meta.token_endpoint, 'discovery names the token endpoint');
});

after(() => {
  server?.child.kill();
  guarded?.child.kill();
});

beforeEach(async () => {
  assert.equal((await fetch(`${admin}/reset`, { method: 'POST' })).status, 200);
});

const json = (method, body) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (params, auth) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
  body: new URLSearchParams(params),
});
const passwordGrant = (username, password) =>
  fetch(meta.token_endpoint, form({ grant_type: 'password', username, password, scope: 'openid email' }, basic('web-app', 'web-app-secret')));
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

async function assertProblem(response, status, field) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const body = await response.json();
  assert.equal(body.status, status);
  assert.ok(body.type && body.title && body.detail);
  if (field !== undefined) assert.equal(body.field, field);
  return body;
}

test('clock: freeze, advance past exp (introspection inactive), set, resume, reset', async () => {
  const frozen = await (await fetch(`${admin}/clock/freeze`, { method: 'POST' })).json();
  assert.equal(frozen.frozen, true);
  const token = await (await passwordGrant('alice', 'alice-password')).json();
  const introspect = async () =>
    (await fetch(meta.introspection_endpoint, form({ token: token.access_token }, basic('api', 'api-secret')))).json();
  assert.equal((await introspect()).active, true);
  const advanced = await (await fetch(`${admin}/clock/advance`, json('POST', { seconds: token.expires_in + 1 }))).json();
  assert.equal(advanced.now, frozen.now + token.expires_in + 1);
  assert.deepEqual(await introspect(), { active: false });
  const set = await (await fetch(`${admin}/clock/set`, json('POST', { now: frozen.now }))).json();
  assert.equal(set.now, frozen.now);
  assert.equal((await introspect()).active, true);
  assert.equal((await (await fetch(`${admin}/clock/resume`, { method: 'POST' })).json()).frozen, false);
  assert.equal((await (await fetch(`${admin}/clock`, { method: 'DELETE' })).json()).offset_seconds, 0);
});

test('request log: masked, filtered, cleared', async () => {
  assert.equal((await passwordGrant('alice', 'alice-password')).status, 200);
  assert.equal((await passwordGrant('alice', 'wrong')).status, 400);
  const log = await (await fetch(`${admin}/log?endpoint=Token`)).json();
  assert.deepEqual(log.entries.map((entry) => entry.status), [200, 400]);
  assert.equal(log.entries[0].params.password, '[masked]');
  assert.equal(log.entries[0].headers.authorization, 'Basic [masked]');
  assert.equal(log.entries[0].client, 'web-app');
  assert.equal(log.entries[1].error, 'invalid_grant');
  assert.ok(!JSON.stringify(log).includes('alice-password'));
  assert.equal((await (await fetch(`${admin}/log?status=400`)).json()).entries.length, 1);
  assert.equal((await fetch(`${admin}/log`, { method: 'DELETE' })).status, 204);
  assert.deepEqual((await (await fetch(`${admin}/log`)).json()).entries, []);
});

test('users: create, update, disable, delete take effect on the next request', async () => {
  const users = `${admin}/realms/demo/users`;
  const created = await fetch(users, json('POST', { username: 'erin', password: 'pw1', email: 'erin@example.com' }));
  assert.equal(created.status, 201);
  const view = await created.json();
  assert.equal(view.password, undefined);
  const token = await (await passwordGrant('erin', 'pw1')).json();
  assert.equal(claims(token.access_token).sub, view.id);
  assert.equal(claims(token.id_token).email, 'erin@example.com');
  await assertProblem(await fetch(users, json('POST', { username: 'erin', password: 'x' })), 409);
  assert.equal((await fetch(`${users}/erin`, json('PATCH', { password: 'pw2' }))).status, 200);
  assert.equal((await passwordGrant('erin', 'pw1')).status, 400);
  assert.equal((await passwordGrant('erin', 'pw2')).status, 200);
  await fetch(`${users}/erin`, json('PATCH', { enabled: false }));
  assert.equal((await passwordGrant('erin', 'pw2')).status, 400);
  assert.equal((await fetch(`${users}/erin`, { method: 'DELETE' })).status, 204);
  await assertProblem(await fetch(`${users}/erin`), 404);
});

test('clients: create, rotate the secret, delete', async () => {
  const clients = `${admin}/realms/demo/clients`;
  const created = await fetch(
    clients,
    json('POST', { client_id: 'node-batch', kind: 'confidential', secret: 's1', grant_types: ['client_credentials'] }),
  );
  assert.equal(created.status, 201);
  const serviceToken = (secret) => fetch(meta.token_endpoint, form({ grant_type: 'client_credentials' }, basic('node-batch', secret)));
  assert.equal((await serviceToken('s1')).status, 200);
  assert.equal((await fetch(`${clients}/node-batch`, json('PATCH', { secret: 's2' }))).status, 200);
  assert.equal((await serviceToken('s1')).status, 401);
  assert.equal((await serviceToken('s2')).status, 200);
  const invalid = await assertProblem(await fetch(`${clients}/web-app`, json('PATCH', { redirect_uris: ['not a url'] })), 422);
  assert.ok(invalid.field.endsWith('redirect_uris'));
  assert.equal((await fetch(`${clients}/node-batch`, { method: 'DELETE' })).status, 204);
  assert.equal((await serviceToken('s2')).status, 401);
});

test('reset restores the world as loaded', async () => {
  await fetch(`${admin}/realms/demo/users/bob`, { method: 'DELETE' });
  await fetch(`${admin}/clock/advance`, json('POST', { seconds: 60 }));
  const report = await (await fetch(`${admin}/reset`, { method: 'POST' })).json();
  for (const part of ['realms', 'store', 'clock', 'log']) assert.ok(report.reset.includes(part), part);
  assert.equal((await fetch(`${admin}/realms/demo/users/bob`)).status, 200);
  assert.equal((await (await fetch(`${admin}/clock`)).json()).offset_seconds, 0);
});

test('the OpenAPI document is 3.1 and lists every resource', async () => {
  const document = await (await fetch(`${admin}/openapi.json`)).json();
  assert.ok(document.openapi.startsWith('3.1'));
  for (const p of ['/clock', '/log', '/reset', '/realms/{realm}/users', '/realms/{realm}/clients/{client_id}']) {
    assert.ok(document.paths[p], p);
  }
});

test('malformed input gets 4xx problem bodies, never a 500', async () => {
  const cases = [
    ['{"seconds":', 'application/json', 400],
    ['', 'application/json', 400],
    ['{"seconds":"ten"}', 'application/json', 422, 'seconds'],
    ['{"seconds":1,"extra":1}', 'application/json', 422],
    ['{"seconds":1}', 'text/plain', 415],
    [' '.repeat(70 * 1024), 'application/json', 413],
  ];
  for (const [body, type, status, field] of cases) {
    const response = await fetch(`${admin}/clock/advance`, { method: 'POST', headers: { 'content-type': type }, body });
    await assertProblem(response, status, field);
  }
  await assertProblem(await fetch(`${admin}/realms/demo/users`, json('POST', { username: 'x', password: 5 })), 422, 'password');
  await assertProblem(await fetch(`${admin}/nothing-here`), 404);
  assert.equal((await (await fetch(`${admin}/clock`)).json()).offset_seconds, 0);
});

test('the admin token is required when one is given', async () => {
  const clock = `${guarded.base}/_mock/clock`;
  await assertProblem(await fetch(clock), 401);
  await assertProblem(await fetch(clock, { headers: { authorization: 'Bearer nope' } }), 401);
  const ok = await fetch(clock, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(ok.status, 200);
});
