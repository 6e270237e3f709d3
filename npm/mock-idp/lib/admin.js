// `idp.admin`: the mock's admin API (`/_mock/...`, docs/admin-api.md) over fetch, with the same
// resources and semantics as the Python package's `mock_idp.admin`. Bodies and answers are the
// admin API's JSON (its member names, e.g. `grant_types`); types and documentation: index.d.ts.

import { MockIdpError } from './process.js';

/** The admin API refused a call (or could not be reached); `problem` is its RFC 9457 body. */
export class MockIdpAdminError extends MockIdpError {
  constructor(method, path, problem, options) {
    const where = problem.field ? ` (${problem.field})` : '';
    super(`${method} ${path}: ${problem.status} ${problem.title}: ${problem.detail}${where}`, options);
    this.name = 'MockIdpAdminError';
    this.method = method;
    this.path = path;
    this.problem = problem;
    this.status = problem.status;
  }
}

const segment = (value) => encodeURIComponent(String(value));

function problemOf(status, text, statusText) {
  try {
    const body = JSON.parse(text);
    if (body !== null && typeof body === 'object') {
      return {
        type: String(body.type ?? 'about:blank'),
        title: String(body.title ?? statusText),
        status: Number(body.status ?? status),
        detail: String(body.detail ?? ''),
        ...(body.field === undefined ? {} : { field: String(body.field) }),
      };
    }
  } catch {
    // not JSON: the text is the detail
  }
  return { type: 'about:blank', title: statusText, status, detail: text.slice(0, 500) };
}

/** JSON over fetch to one server's `/_mock` prefix. */
class AdminHttp {
  constructor(baseUrl, token, timeoutMs) {
    this.root = `${baseUrl.replace(/\/+$/, '')}/_mock`;
    this.token = token;
    this.timeoutMs = timeoutMs;
  }

  async call(method, path, body, query) {
    let url = this.root + path;
    const kept = Object.entries(query ?? {}).filter(([, value]) => value !== undefined && value !== null);
    if (kept.length > 0) url += `?${new URLSearchParams(kept.map(([k, v]) => [k, String(v)]))}`;
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const problem = { type: 'about:blank', title: 'unreachable', status: 0, detail: String(cause?.message ?? cause) };
      throw new MockIdpAdminError(method, path, problem, { cause });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new MockIdpAdminError(method, path, problemOf(response.status, text, response.statusText));
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      const problem = { type: 'about:blank', title: 'not JSON', status: response.status, detail: text.slice(0, 200) };
      throw new MockIdpAdminError(method, path, problem, { cause });
    }
  }
}

/** Drops members whose value is undefined (absent means "the server's default"). */
const defined = (object) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

class Resource {
  constructor(http, defaultRealm) {
    this.http = http;
    this.defaultRealm = defaultRealm;
  }

  realmPath(realm) {
    return `/realms/${segment(realm ?? this.defaultRealm)}`;
  }
}

class Users extends Resource {
  list({ realm } = {}) {
    return this.http.call('GET', `${this.realmPath(realm)}/users`);
  }
  get(username, { realm } = {}) {
    return this.http.call('GET', `${this.realmPath(realm)}/users/${segment(username)}`);
  }
  create(user, { realm } = {}) {
    return this.http.call('POST', `${this.realmPath(realm)}/users`, user);
  }
  update(username, changes, { realm } = {}) {
    return this.http.call('PATCH', `${this.realmPath(realm)}/users/${segment(username)}`, changes);
  }
  disable(username, options) {
    return this.update(username, { enabled: false }, options);
  }
  async delete(username, { realm } = {}) {
    await this.http.call('DELETE', `${this.realmPath(realm)}/users/${segment(username)}`);
  }
  /** Ends every login session of the user (back-channel logout tokens go to its clients). */
  logout(username, { realm } = {}) {
    return this.http.call('POST', `${this.realmPath(realm)}/users/${segment(username)}/logout`);
  }
}

class Clients extends Resource {
  list({ realm } = {}) {
    return this.http.call('GET', `${this.realmPath(realm)}/clients`);
  }
  get(clientId, { realm } = {}) {
    return this.http.call('GET', `${this.realmPath(realm)}/clients/${segment(clientId)}`);
  }
  create(client, { realm } = {}) {
    return this.http.call('POST', `${this.realmPath(realm)}/clients`, client);
  }
  update(clientId, changes, { realm } = {}) {
    return this.http.call('PATCH', `${this.realmPath(realm)}/clients/${segment(clientId)}`, changes);
  }
  async delete(clientId, { realm } = {}) {
    await this.http.call('DELETE', `${this.realmPath(realm)}/clients/${segment(clientId)}`);
  }
}

class Claims extends Resource {
  queue({ claims = {}, client, user, count = 1, remove = [], headers = {}, tokens = 'access', realm } = {}) {
    return this.http.call('POST', '/claims', defined({ claims, client, user, count, remove, headers, tokens, realm }));
  }
  list() {
    return this.http.call('GET', '/claims');
  }
  async clear() {
    await this.http.call('DELETE', '/claims');
  }
}

class Mappings extends Resource {
  add({ claims = {}, grant, client, user, scope, params = {}, remove = [], headers = {}, tokens = 'access', realm } = {}) {
    const match = defined({ grant, client, user, scope, params });
    return this.http.call('POST', '/mappings', defined({ match, claims, remove, headers, tokens, realm }));
  }
  list() {
    return this.http.call('GET', '/mappings');
  }
  async clear() {
    await this.http.call('DELETE', '/mappings');
  }
}

/** Builders for a fault rule's `fault` member. */
export const Fault = Object.freeze({
  status: (status) => ({ kind: 'status', status }),
  respond: (status, body) => ({ kind: 'respond', status, body }),
  body: (body) => ({ kind: 'body', body }),
  headers: (headers) => ({ kind: 'headers', headers: headers.map(([name, value]) => [name, value]) }),
  delay: (ms) => ({ kind: 'delay', ms }),
  dropConnection: () => ({ kind: 'drop_connection' }),
  malformedJson: () => ({ kind: 'malformed_json' }),
  outage: () => ({ kind: 'outage' }),
  emptyKeySet: () => ({ kind: 'empty_key_set' }),
  staleKeySet: () => ({ kind: 'stale_key_set' }),
  hugeKeySet: (bytes) => ({ kind: 'huge_key_set', bytes }),
});

/** Builders for a fault rule's `scope` member (besides `'once'` and `'until_cleared'`). */
export const FaultScope = Object.freeze({
  times: (n) => ({ times: n }),
  probability: (p, seed) => ({ probability: { p, seed } }),
});

class Faults extends Resource {
  async add(endpoint, fault, { scope = 'until_cleared', realm } = {}) {
    const answer = await this.http.call('POST', '/faults', defined({ endpoint, fault, scope, realm }));
    return Number(answer.id);
  }
  list() {
    return this.http.call('GET', '/faults');
  }
  async remove(id) {
    await this.http.call('DELETE', `/faults/${segment(Number(id))}`);
  }
  async clear() {
    await this.http.call('DELETE', '/faults');
  }
  hits() {
    return this.http.call('GET', '/hits');
  }
  async hitCount(endpoint, { realm } = {}) {
    const name = realm ?? this.defaultRealm;
    const hits = await this.hits();
    return hits.filter((hit) => hit.endpoint === endpoint && hit.realm === name).reduce((sum, hit) => sum + hit.hits, 0);
  }
  async clearHits() {
    await this.http.call('DELETE', '/hits');
  }
}

class Keys extends Resource {
  list({ realm } = {}) {
    return this.http.call('GET', `${this.realmPath(realm)}/keys`);
  }
  async active({ realm } = {}) {
    const keys = await this.list({ realm });
    const active = keys.find((key) => key.state === 'active');
    if (!active) throw new MockIdpError(`realm ${realm ?? this.defaultRealm} has no active key`);
    return active;
  }
  rotate({ overlapSeconds, realm } = {}) {
    return this.http.call('POST', `${this.realmPath(realm)}/keys/rotate`, defined({ overlap_seconds: overlapSeconds }));
  }
  retire({ kid, realm } = {}) {
    return this.http.call('POST', `${this.realmPath(realm)}/keys/retire`, defined({ kid }));
  }
  async publish(alg, { realm } = {}) {
    const answer = await this.http.call('POST', `${this.realmPath(realm)}/keys/publish`, { alg });
    return String(answer.kid);
  }
  async setAlg(alg, { realm } = {}) {
    await this.http.call('PUT', `${this.realmPath(realm)}/signing-alg`, { alg: alg ?? null });
  }
}

class Clock extends Resource {
  get() {
    return this.http.call('GET', '/clock');
  }
  freeze() {
    return this.http.call('POST', '/clock/freeze');
  }
  resume() {
    return this.http.call('POST', '/clock/resume');
  }
  advance(seconds) {
    return this.http.call('POST', '/clock/advance', { seconds });
  }
  set(now) {
    return this.http.call('POST', '/clock/set', { now });
  }
  reset() {
    return this.http.call('DELETE', '/clock');
  }
}

class RequestLog extends Resource {
  query({ realm, endpoint, client, status, since } = {}) {
    return this.http.call('GET', '/log', undefined, { realm, endpoint, client, status, since });
  }
  async entries(filters) {
    return (await this.query(filters)).entries;
  }
  async clear() {
    await this.http.call('DELETE', '/log');
  }
}

/** Pending device authorizations (RFC 8628), decided as the user-code page would. */
class Devices extends Resource {
  /** Approves as `username`: the device's next poll gets that user's tokens. */
  async approve(userCode, username, { realm } = {}) {
    await this.http.call('POST', `${this.realmPath(realm)}/device/${segment(userCode)}/approve`, { username });
  }
  /** Denies: the next poll gets `access_denied`. */
  async deny(userCode, { realm } = {}) {
    await this.http.call('POST', `${this.realmPath(realm)}/device/${segment(userCode)}/deny`);
  }
  /** Expires now: the next poll gets `expired_token`. */
  async expire(userCode, { realm } = {}) {
    await this.http.call('POST', `${this.realmPath(realm)}/device/${segment(userCode)}/expire`);
  }
}

/** The admin API of one server. */
export class Admin {
  constructor(baseUrl, defaultRealm, { token, timeoutMs = 10_000 } = {}) {
    const http = new AdminHttp(baseUrl, token, timeoutMs);
    this.http = http;
    this.defaultRealm = defaultRealm;
    this.users = new Users(http, defaultRealm);
    this.clients = new Clients(http, defaultRealm);
    this.claims = new Claims(http, defaultRealm);
    this.mappings = new Mappings(http, defaultRealm);
    this.faults = new Faults(http, defaultRealm);
    this.keys = new Keys(http, defaultRealm);
    this.clock = new Clock(http, defaultRealm);
    this.log = new RequestLog(http, defaultRealm);
    this.devices = new Devices(http, defaultRealm);
  }

  /** Back to the world as loaded; the parts reset. */
  async reset() {
    return (await this.http.call('POST', '/reset')).reset;
  }

  /** The token endpoint's answer through the provider's real grants (`POST /_mock/tokens/issue`). */
  issue({ client, user, realm }) {
    return this.http.call('POST', '/tokens/issue', defined({ client, user, realm }));
  }

  /** Mints an access token directly (`POST /_mock/tokens`), e.g. a negative one. */
  async mint({ user, client, defects = [], claims, scope, expiresIn, realm } = {}) {
    const answer = await this.http.call(
      'POST',
      '/tokens',
      defined({ user, client, defects, claims, scope, expires_in: expiresIn, realm }),
    );
    return { accessToken: answer.access_token, tokenType: answer.token_type, raw: answer };
  }
}
