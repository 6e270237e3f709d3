import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MockIdpError, PROVIDERS, findBinary, startMockIdp } from '@idp-harness/mock-idp';
import { alive, answers, claims, within } from './helpers.js';

describe('a keycloak server', () => {
  let idp;
  beforeAll(async () => {
    idp = await startMockIdp({ provider: 'keycloak' });
  });
  afterAll(() => idp?.stop());

  test('issuer and endpoints come from its discovery document', async () => {
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}/realms/demo`);
    expect(idp.baseUrl).toBe(`http://127.0.0.1:${idp.port}`);
    expect(idp.realm).toBe('demo');
    expect(idp.realms).toEqual({ demo: idp.issuer });
    expect(idp.discoveryUrl).toBe(`${idp.issuer}/.well-known/openid-configuration`);
    expect(idp.url('token')).toBe(`${idp.issuer}/protocol/openid-connect/token`);
    expect(idp.url('token_endpoint')).toBe(idp.url('token'));
    expect(idp.url('jwks')).toBe(`${idp.issuer}/protocol/openid-connect/certs`);
    expect(idp.jwksUri).toBe(idp.url('jwks'));
    expect(() => idp.url('nothing_like_this')).toThrow(MockIdpError);
    const served = await (await fetch(idp.discoveryUrl)).json();
    expect(served).toEqual(idp.discovery);
  });

  test('tokenFor gives a token the running server accepts', async () => {
    const tokens = await idp.tokenFor('alice', 'web-app');
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.expiresIn).toBe(300);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.raw.refresh_expires_in).toEqual(expect.any(Number));
    const payload = claims(tokens.accessToken);
    expect(payload.iss).toBe(idp.issuer);
    expect(payload.azp).toBe('web-app');
    expect(payload.realm_access.roles).toContain('admin');
    const userinfo = await fetch(idp.url('userinfo'), {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(userinfo.status).toBe(200);
    expect((await userinfo.json()).preferred_username).toBe('alice');
  });

  test('serviceToken is a client_credentials token', async () => {
    const payload = claims((await idp.serviceToken('service')).accessToken);
    expect(payload.azp).toBe('service');
    expect(payload.preferred_username).toBe('service-account-service');
  });

  test('an unknown user or client is a MockIdpError naming it', async () => {
    await expect(idp.tokenFor('mallory', 'web-app')).rejects.toThrow(/422 .*mallory.* \(user\)/);
    await expect(idp.serviceToken('nobody')).rejects.toBeInstanceOf(MockIdpError);
  });

  test('a user created over the admin API gets a token', async () => {
    const created = await fetch(`${idp.baseUrl}/_mock/realms/${idp.realm}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'zoe', password: 'zoe-pw', realm_roles: ['admin'] }),
    });
    expect(created.status).toBe(201);
    try {
      const payload = claims((await idp.tokenFor('zoe', 'web-app')).accessToken);
      expect(payload.preferred_username).toBe('zoe');
      expect(payload.realm_access.roles).toContain('admin');
    } finally {
      await fetch(`${idp.baseUrl}/_mock/realms/${idp.realm}/users/zoe`, { method: 'DELETE' });
    }
  });

  test('env() names the Keycloak server URL and realm', () => {
    const env = idp.env();
    expect(env).toMatchObject({
      OIDC_ISSUER: idp.issuer,
      OIDC_JWKS_URI: idp.jwksUri,
      KEYCLOAK_SERVER_URL: idp.baseUrl,
      KEYCLOAK_REALM: 'demo',
    });
    expect(JSON.parse(env.MOCK_IDP_HANDLE).port).toBe(idp.port);
  });
});

test('every provider starts, each on its own free port, with its own issuer shape', async () => {
  const servers = await Promise.all(PROVIDERS.map((provider) => startMockIdp({ provider })));
  try {
    expect(new Set(servers.map((s) => s.port)).size).toBe(PROVIDERS.length);
    const zitadel = servers[PROVIDERS.indexOf('zitadel')];
    expect(zitadel.issuer).toBe(zitadel.baseUrl);
    for (const server of servers) expect(await answers(server.port)).toBe(true);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});

test('stop() ends the server, is idempotent, and tokens are refused after it', async () => {
  const idp = await startMockIdp();
  const { pid, port } = idp;
  expect(alive(pid)).toBe(true);
  await idp.stop();
  await idp.stop();
  expect(alive(pid)).toBe(false);
  expect(await answers(port)).toBe(false);
  await expect(idp.serviceToken('service')).rejects.toThrow(/not running/);
});

test('a world file sets realm, users and clients; a bad one fails with the binary message', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mock-idp-'));
  const world = join(dir, 'world.toml');
  await writeFile(
    world,
    `default_realm = "shop"
[realms.shop]
scopes = ["openid", "profile"]
roles = ["buyer"]
[realms.shop.clients.cli]
kind = "confidential"
secret = "s3cret"
grant_types = ["password"]
[realms.shop.users.dora]
id = "0b6f3c1e-2d4a-4f5b-9c8d-7e6f5a4b3c2d"
password = "pw"
realm_roles = ["buyer"]
`,
  );
  const idp = await startMockIdp({ provider: 'keycloak', world });
  try {
    expect(idp.issuer).toBe(`${idp.baseUrl}/realms/shop`);
    expect(claims((await idp.tokenFor('dora', 'cli')).accessToken).realm_access.roles).toContain('buyer');
  } finally {
    await idp.stop();
  }
  const bad = join(dir, 'bad.toml');
  await writeFile(bad, 'default_realm = "missing"\n');
  await expect(startMockIdp({ world: bad })).rejects.toThrow(/mock-idp check-config: .*missing/);
});

test('a port in use fails start with the server\'s own words', async () => {
  const first = await startMockIdp();
  try {
    await expect(startMockIdp({ port: first.port })).rejects.toThrow(
      new RegExp(`mock-idp serve exited at start: .*cannot listen on 127\\.0\\.0\\.1:${first.port}`),
    );
  } finally {
    await first.stop();
  }
});

test('bad options are refused before anything starts', async () => {
  await expect(startMockIdp({ provider: 'okta' })).rejects.toThrow(TypeError);
  await expect(startMockIdp({ port: 70000 })).rejects.toThrow(TypeError);
  await expect(startMockIdp({ binary: '/nonexistent/mock-idp' })).rejects.toThrow(MockIdpError);
});

test('the binary comes from the platform package; MOCK_IDP_BIN overrides it', () => {
  const saved = process.env.MOCK_IDP_BIN;
  try {
    delete process.env.MOCK_IDP_BIN;
    const found = findBinary();
    expect(found).toMatch(/node_modules\/@idp-harness\/mock-idp-linux-x64\/bin\/mock-idp$/);
    process.env.MOCK_IDP_BIN = '/nonexistent/mock-idp';
    expect(() => findBinary()).toThrow(/MOCK_IDP_BIN=\/nonexistent\/mock-idp/);
    process.env.MOCK_IDP_BIN = found;
    expect(findBinary()).toBe(found);
  } finally {
    if (saved === undefined) delete process.env.MOCK_IDP_BIN;
    else process.env.MOCK_IDP_BIN = saved;
  }
});

test('MOCK_IDP_* variables the binary reads do not leak into the server', async () => {
  const saved = { ...process.env };
  process.env.MOCK_IDP_PROVIDER = 'zitadel';
  process.env.MOCK_IDP_PUBLIC_URL = 'http://elsewhere.invalid';
  try {
    const idp = await startMockIdp({ provider: 'keycloak' });
    try {
      expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}/realms/demo`);
      expect(claims((await idp.tokenFor('alice', 'web-app')).accessToken).iss).toBe(idp.issuer);
    } finally {
      await idp.stop();
    }
  } finally {
    delete process.env.MOCK_IDP_PROVIDER;
    delete process.env.MOCK_IDP_PUBLIC_URL;
    Object.assign(process.env, saved);
  }
});

// A Node process that starts a server, prints its port and pid, then runs `tail`.
function parent(tail) {
  const script = `
    import { startMockIdp } from '@idp-harness/mock-idp';
    const idp = await startMockIdp();
    console.log(idp.port, idp.pid);
    ${tail}
  `;
  const here = fileURLToPath(new URL('.', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (line) => {
      const [port, pid] = line.trim().split(' ').map(Number);
      resolve({ port, pid });
    });
    child.once('exit', (code) => reject(new Error(`the parent exited (${code}) before printing`)));
  });
  return { child, started };
}

test('the server does not outlive a SIGKILLed parent', async () => {
  const { child, started } = parent('setInterval(() => {}, 1000);');
  const { port, pid } = await started;
  try {
    expect(await answers(port)).toBe(true);
    child.kill('SIGKILL');
    // No exit handler runs on SIGKILL: the server's stdin pipe closing is what stops it.
    expect(await within(10_000, async () => !(await answers(port)))).toBe(true);
    expect(await within(10_000, () => !alive(pid))).toBe(true);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('a script that never calls stop() still exits, and its server with it', async () => {
  const { child, started } = parent('');
  const { port, pid } = await started;
  try {
    const code = await within(10_000, () => child.exitCode !== null);
    expect(code).toBe(true);
    expect(child.exitCode).toBe(0);
    expect(await within(10_000, () => !alive(pid))).toBe(true);
    expect(await answers(port)).toBe(false);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
