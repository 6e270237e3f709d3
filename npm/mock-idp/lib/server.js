// `startMockIdp()`: `mock-idp serve` as a child process on a free loopback port.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findBinary } from './binary.js';
import { Admin } from './admin.js';
import { childEnv, MockIdpError, run } from './process.js';

/** Provider flavors the binary imitates (`ztrust` is an alias of `keycloak`). */
export const PROVIDERS = Object.freeze(['generic', 'keycloak', 'ztrust', 'zitadel', 'wso2', 'appid']);

const LISTENING = /^mock-idp listening on (?<address>\S+)$/;
const REALM = /^realm (?<realm>\S+)$/;
const ISSUER = /^\s+issuer:\s+(?<url>\S+)$/;
const DISCOVERY = /^\s+discovery:\s+(?<url>\S+)$/;
const DEFAULT_REALM = /^realm (?<realm>\S+) \(default\):/m;
const ANY_REALM = /^realm (?<realm>\S+)(?: \(default\))?:/gm;

/** The most of the server's log (stderr) kept for error messages. */
const MAX_LOG = 64 * 1024;

/** Servers this process started and has not stopped; killed when the process exits. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function commonArgs({ provider, world, keys }) {
  const args = ['--provider', provider];
  if (world !== undefined) args.push('--world', world);
  if (keys !== undefined) args.push('--keys', keys);
  return args;
}

function serveArgs(config = {}) {
  const args = [];
  if (config.autoApprove) args.push('--auto-approve');
  if (config.headerReadTimeout !== undefined) args.push('--header-read-timeout', String(config.headerReadTimeout));
  if (config.idleTimeout !== undefined) args.push('--idle-timeout', String(config.idleTimeout));
  if (config.maxConnections !== undefined) args.push('--max-connections', String(config.maxConnections));
  if (config.maxStateEntries !== undefined) args.push('--max-state-entries', String(config.maxStateEntries));
  return args;
}

function tokenSet(body) {
  if (
    body === null ||
    typeof body !== 'object' ||
    typeof body.access_token !== 'string' ||
    typeof body.token_type !== 'string' ||
    typeof body.expires_in !== 'number'
  ) {
    throw new MockIdpError(`not a token response: ${JSON.stringify(body)}`);
  }
  return {
    accessToken: body.access_token,
    tokenType: body.token_type,
    expiresIn: body.expires_in,
    refreshToken: body.refresh_token,
    idToken: body.id_token,
    scope: body.scope,
    raw: body,
  };
}

/** A running (or attached-to) mock provider; see index.d.ts for the documentation. */
export class MockIdp {
  #binary;
  #child;
  #log;
  #exited;
  #admin;

  /** @internal Use startMockIdp() or mockIdpFromEnv(). */
  constructor(state, child, log, exited) {
    this.provider = state.provider;
    this.world = state.world;
    this.keys = state.keys;
    this.port = state.port;
    this.baseUrl = state.baseUrl;
    this.realm = state.realm;
    this.realms = Object.freeze({ ...state.realms });
    this.discoveryUrl = state.discoveryUrl;
    this.discovery = Object.freeze({ ...state.discovery });
    this.issuer = state.discovery.issuer;
    this.jwksUri = state.discovery.jwks_uri;
    this.#binary = state.binary;
    this.#child = child;
    this.#log = log;
    this.#exited = exited;
  }

  /** The binary this server runs. */
  get binary() {
    return this.#binary;
  }

  /** The server's process id (undefined for a handle from mockIdpFromEnv()). */
  get pid() {
    return this.#child?.pid;
  }

  /** What the server wrote to stderr (its log), the last 64 KiB. */
  get log() {
    return this.#log?.text ?? '';
  }

  /** The admin API (`/_mock/...`) of this server; see index.d.ts. */
  get admin() {
    this.#admin ??= new Admin(this.baseUrl, this.realm);
    return this.#admin;
  }

  /** Back to the world as loaded (what a per-test reset does); the parts reset. */
  reset() {
    return this.admin.reset();
  }

  /** Mints an access token directly, e.g. a negative one; see index.d.ts. */
  mint(options) {
    return this.admin.mint(options);
  }

  url(endpoint) {
    for (const name of [endpoint, `${endpoint}_endpoint`, `${endpoint}_uri`]) {
      const value = this.discovery[name];
      if (typeof value === 'string') return value;
    }
    throw new MockIdpError(`the ${this.provider} discovery document has no ${JSON.stringify(endpoint)}`);
  }

  async #issue(body) {
    const child = this.#child;
    if (child && (child.exitCode !== null || child.signalCode !== null || !live.has(child))) {
      throw new MockIdpError('the server is not running');
    }
    // The admin API's real-grant route: the server's own grants, for users and clients as the
    // realm holds them now (admin-created ones included).
    let response;
    try {
      response = await fetch(`${this.baseUrl}/_mock/tokens/issue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new MockIdpError(`no answer from ${this.baseUrl}/_mock/tokens/issue: ${cause.message}`, { cause });
    }
    const text = await response.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch (cause) {
      throw new MockIdpError(`POST /_mock/tokens/issue answered ${response.status} without JSON: ${text.slice(0, 200)}`, {
        cause,
      });
    }
    if (!response.ok) {
      const where = answer.field ? ` (${answer.field})` : '';
      throw new MockIdpError(`POST /_mock/tokens/issue: ${response.status} ${answer.detail ?? text}${where}`, {
        cause: answer,
      });
    }
    return tokenSet(answer);
  }

  tokenFor(user, client, realm) {
    return this.#issue({ user, client, ...(realm === undefined ? {} : { realm }) });
  }

  serviceToken(client, realm) {
    return this.#issue({ client, ...(realm === undefined ? {} : { realm }) });
  }

  env() {
    const env = {
      OIDC_ISSUER: this.issuer,
      OIDC_DISCOVERY_URL: this.discoveryUrl,
      OIDC_JWKS_URI: this.jwksUri,
      MOCK_IDP_URL: this.baseUrl,
      MOCK_IDP_HANDLE: JSON.stringify(this.#handle()),
    };
    if (this.provider === 'keycloak' || this.provider === 'ztrust') {
      Object.assign(env, {
        KEYCLOAK_SERVER_URL: this.baseUrl,
        KEYCLOAK_URL: this.baseUrl,
        KEYCLOAK_REALM: this.realm,
      });
    } else if (this.provider === 'zitadel') {
      env.ZITADEL_DOMAIN = this.issuer;
    } else if (this.provider === 'wso2') {
      env.WSO2_BASE_URL = this.baseUrl;
    } else if (this.provider === 'appid') {
      env.APPID_OAUTH_SERVER_URL = this.issuer;
    }
    return env;
  }

  #handle() {
    return {
      binary: this.#binary,
      provider: this.provider,
      world: this.world,
      keys: this.keys,
      port: this.port,
      baseUrl: this.baseUrl,
      realm: this.realm,
      realms: this.realms,
      discoveryUrl: this.discoveryUrl,
      discovery: this.discovery,
    };
  }

  async stop() {
    const child = this.#child;
    if (!child) return;
    live.delete(child);
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
  }

  toString() {
    return `MockIdp(provider=${this.provider}, ${this.baseUrl})`;
  }
}

/**
 * Starts `mock-idp serve` on a free loopback port and resolves once it serves its discovery
 * document. See index.d.ts.
 */
export async function startMockIdp(options = {}) {
  const { provider = 'generic', world, keys, port = 0, config, startupTimeoutMs = 10_000 } = options;
  if (!PROVIDERS.includes(provider)) {
    throw new TypeError(`unknown provider ${JSON.stringify(provider)}; expected one of ${PROVIDERS.join(', ')}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535, not ${port}`);
  }
  const binary = options.binary ?? findBinary();
  const check = await run(binary, ['check-config', ...(world !== undefined ? ['--world', world] : [])]);
  const realm = DEFAULT_REALM.exec(check)?.groups.realm;
  if (!realm) throw new MockIdpError(`mock-idp check-config named no default realm: ${check.trim()}`);
  // Every realm the world holds: the handle is ready once the banner has named them all.
  const expected = new Set([realm, ...[...check.matchAll(ANY_REALM)].map((m) => m.groups.realm)]);

  const child = spawn(
    binary,
    [
      'serve',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      // stdin is a pipe this process never writes to: when it dies (even by SIGKILL, where no
      // exit handler runs) the pipe closes and the server shuts down.
      '--exit-on-stdin-eof',
      ...commonArgs({ provider, world, keys }),
      ...serveArgs(config),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() },
  );
  live.add(child);
  const log = { text: '' };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    log.text = (log.text + chunk).slice(-MAX_LOG);
  });
  const exited = new Promise((resolve) => child.once('close', resolve));
  // Neither the child nor its pipes keep this process alive: a script that forgets stop()
  // still exits, and the server follows (stdin EOF).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream.unref?.();

  const state = { binary, provider, world, keys, realm, realms: {}, port: undefined };
  try {
    await waitForBanner(child, state, realm, expected, startupTimeoutMs, log);
    state.discovery = await fetchJson(state.discoveryUrl);
  } catch (error) {
    live.delete(child);
    child.kill('SIGKILL');
    throw error;
  }
  return new MockIdp(state, child, log, exited);
}

function waitForBanner(child, state, realm, expected, timeoutMs, log) {
  return new Promise((resolve, reject) => {
    const discovery = {};
    let current;
    const lines = createInterface({ input: child.stdout });
    const fail = (message) => {
      clearTimeout(timer);
      reject(new MockIdpError(`${message}: ${log.text.trim()}`));
    };
    const timer = setTimeout(() => fail(`mock-idp serve printed no address in ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`cannot run ${state.binary}: ${error.message}`));
    // 'close' comes after the stdio streams ended: the log is complete by then.
    child.once('close', () => fail('mock-idp serve exited at start'));
    lines.on('line', (line) => {
      let m;
      if ((m = LISTENING.exec(line))) {
        const address = m.groups.address;
        state.port = Number(address.slice(address.lastIndexOf(':') + 1));
        state.baseUrl = `http://${address}`;
      } else if ((m = REALM.exec(line))) {
        current = m.groups.realm;
      } else if (current !== undefined && (m = ISSUER.exec(line))) {
        state.realms[current] = m.groups.url;
      } else if (current !== undefined && (m = DISCOVERY.exec(line))) {
        discovery[current] = m.groups.url;
        if (state.port !== undefined && [...expected].every((name) => name in discovery)) {
          state.discoveryUrl = discovery[realm];
          clearTimeout(timer);
          resolve();
        }
      }
    });
  });
}

async function fetchJson(url) {
  let response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (cause) {
    throw new MockIdpError(`cannot read ${url}: ${cause.message}`, { cause });
  }
  if (!response.ok) throw new MockIdpError(`cannot read ${url}: HTTP ${response.status}`);
  return response.json();
}

/**
 * A handle on the server a globalSetup started, from the `MOCK_IDP_HANDLE` environment
 * variable it sets. See index.d.ts.
 */
export function mockIdpFromEnv(env = process.env) {
  const text = env.MOCK_IDP_HANDLE;
  if (!text) {
    throw new MockIdpError(
      'MOCK_IDP_HANDLE is not set: start the server with the globalSetup of @idp-harness/mock-idp',
    );
  }
  let state;
  try {
    state = JSON.parse(text);
  } catch (cause) {
    throw new MockIdpError('MOCK_IDP_HANDLE is not JSON', { cause });
  }
  return new MockIdp(state, undefined, undefined, undefined);
}
