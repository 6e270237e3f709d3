/**
 * A mock OpenID Connect provider (Keycloak, ZITADEL, WSO2 IS, IBM App ID flavors) for tests.
 *
 * ```ts
 * const idp = await startMockIdp({ provider: 'keycloak' });
 * const { accessToken } = await idp.tokenFor('alice', 'web-app');
 * await fetch(appUrl, { headers: { authorization: `Bearer ${accessToken}` } });
 * await idp.stop();
 * ```
 */

/** A provider flavor the binary imitates (`ztrust` is an alias of `keycloak`). */
export type Provider = 'generic' | 'keycloak' | 'ztrust' | 'zitadel' | 'wso2' | 'appid';

/** Every provider flavor, in the order of {@link Provider}. */
export declare const PROVIDERS: readonly Provider[];

/** Flags passed to `mock-idp serve` (see `mock-idp serve --help`). */
export interface ServeConfig {
  /** Log in the user named by `login_hint` without showing the login page (headless code flows). */
  autoApprove?: boolean;
  /** Close a connection whose request head has not arrived after this long, e.g. `'10s'`, `'500ms'`. */
  headerReadTimeout?: string;
  /** Close an idle keep-alive connection after this long, e.g. `'5s'`. */
  idleTimeout?: string;
  /** Connections served at once; beyond it a new connection gets 503. */
  maxConnections?: number;
  /** The most entries the state store keeps (codes, grants, sessions). */
  maxStateEntries?: number;
}

/** Options of {@link startMockIdp}. */
export interface MockIdpOptions {
  /** The flavor to imitate; `'generic'` by default. */
  provider?: Provider;
  /**
   * A World file (TOML): realms, clients, users, roles, lifetimes. The default world otherwise
   * (realm `demo`, users `alice`, `bob`, `carol`, clients `web-app`, `spa`, `service`, `api`).
   */
  world?: string;
  /** A directory written by `mock-idp keys generate`; the embedded deterministic keys otherwise. */
  keys?: string;
  /** The loopback port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** More `serve` flags. */
  config?: ServeConfig;
  /** The `mock-idp` binary; {@link findBinary} otherwise. */
  binary?: string;
  /** How long to wait for the server to print its address; 10 000 ms by default. */
  startupTimeoutMs?: number;
}

/** A token endpoint response, got through the provider's real grant. */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Seconds. */
  expiresIn: number;
  refreshToken?: string;
  idToken?: string;
  scope?: string;
  /** The whole response body, with provider-specific members (e.g. `refresh_expires_in`). */
  raw: Record<string, unknown>;
}

/** The environment variables an app under test reads to find the provider ({@link MockIdp.env}). */
export interface MockIdpEnv {
  OIDC_ISSUER: string;
  OIDC_DISCOVERY_URL: string;
  OIDC_JWKS_URI: string;
  /** `http://127.0.0.1:PORT`. */
  MOCK_IDP_URL: string;
  /** What {@link mockIdpFromEnv} reads (JSON). */
  MOCK_IDP_HANDLE: string;
  /** keycloak and ztrust: the server URL (without `/realms`). */
  KEYCLOAK_SERVER_URL?: string;
  /** keycloak and ztrust: the same as `KEYCLOAK_SERVER_URL`. */
  KEYCLOAK_URL?: string;
  /** keycloak and ztrust: the default realm. */
  KEYCLOAK_REALM?: string;
  /** zitadel: the issuer. */
  ZITADEL_DOMAIN?: string;
  /** wso2: the server URL the Asgardeo SDKs build endpoints from. */
  WSO2_BASE_URL?: string;
  /** appid: the `oauthServerUrl` of App ID credentials (the issuer). */
  APPID_OAUTH_SERVER_URL?: string;
}

/** A running mock provider (from {@link startMockIdp}) or a handle on one ({@link mockIdpFromEnv}). */
export declare class MockIdp {
  private constructor();
  readonly provider: Provider;
  readonly world: string | undefined;
  readonly keys: string | undefined;
  /** The loopback port the server listens on. */
  readonly port: number;
  /** `http://127.0.0.1:PORT` (Keycloak's "server URL"). */
  readonly baseUrl: string;
  /** The world's default realm (Keycloak realm, ZITADEL org, WSO2 tenant, App ID tenant). */
  readonly realm: string;
  /** Every realm's issuer, as the server printed them. */
  readonly realms: Readonly<Record<string, string>>;
  /** The default realm's issuer (from its discovery document). */
  readonly issuer: string;
  /** The default realm's `.well-known/openid-configuration` URL. */
  readonly discoveryUrl: string;
  /** The default realm's discovery document. */
  readonly discovery: Readonly<Record<string, unknown>>;
  /** `jwks_uri`. */
  readonly jwksUri: string;
  /** The binary this server runs. */
  readonly binary: string;
  /** The server's process id; undefined for a handle from {@link mockIdpFromEnv}. */
  readonly pid: number | undefined;
  /** The server's log (stderr), the last 64 KiB; empty for a handle from {@link mockIdpFromEnv}. */
  readonly log: string;
  /**
   * A URL from the discovery document: `url('token_endpoint')`, or short: `url('token')`,
   * `url('jwks')` (tries `NAME`, `NAME_endpoint`, `NAME_uri`). Throws {@link MockIdpError} where
   * the provider advertises none.
   */
  url(endpoint: string): string;
  /**
   * A token for `user` issued to `client` (in `realm`, the default realm otherwise) through the
   * provider's real grant (the password grant where the client and provider have it, otherwise
   * the code flow with PKCE through its login form), asked of this running server's admin API
   * (`POST /_mock/tokens/issue`): the server issued it, so its userinfo, introspection and
   * refresh know it, opaque tokens included, and claims queued on it (`/_mock/claims`) show in
   * it. Users and clients created over the admin API get tokens too. A refusal throws
   * {@link MockIdpError} naming the cause (its `cause` is the RFC 9457 problem).
   */
  tokenFor(user: string, client: string, realm?: string): Promise<TokenSet>;
  /** A `client_credentials` token for `client`'s service account (see {@link tokenFor}). */
  serviceToken(client: string, realm?: string): Promise<TokenSet>;
  /** The environment variables an app under test reads to find this provider. */
  env(): MockIdpEnv;
  /**
   * The server's admin API (`/_mock/...`, docs/admin-api.md): users, clients, the claim queue,
   * mapping rules, faults and hit counters, keys, the clock and the request log. Also on a
   * handle from {@link mockIdpFromEnv}, so tests in workers control the server a globalSetup
   * started. Calls reject with {@link MockIdpAdminError}.
   */
  readonly admin: Admin;
  /** Back to the world as loaded, as a per-test reset does (`POST /_mock/reset`); the parts reset. */
  reset(): Promise<string[]>;
  /** Mints an access token directly (`POST /_mock/tokens`), e.g. a negative one. */
  mint(options?: MintOptions): Promise<Minted>;
  /**
   * Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it; idempotent. A handle from
   * {@link mockIdpFromEnv} does not own the server: there it does nothing.
   */
  stop(): Promise<void>;
}

/**
 * Starts `mock-idp serve` on a free loopback port and resolves once it serves its discovery
 * document. The server stops with {@link MockIdp.stop}, when this process exits, and when this
 * process is killed outright (its stdin is a pipe from this process; the server exits when it
 * closes). Neither the server nor its pipes keep this process alive.
 */
export declare function startMockIdp(options?: MockIdpOptions): Promise<MockIdp>;

/**
 * A handle on the server a globalSetup started in the runner's main process, read from the
 * `MOCK_IDP_HANDLE` environment variable (tests run in workers, which inherit it).
 */
export declare function mockIdpFromEnv(env?: Record<string, string | undefined>): MockIdp;

/** The binary failed to start, exited, or refused a request; the message carries its words. */
export declare class MockIdpError extends Error {
  constructor(message: string, options?: { cause?: unknown });
}

/**
 * The `mock-idp` binary to run: `MOCK_IDP_BIN`, else the binary of the per-platform package
 * (`@idp-harness/mock-idp-linux-x64`, ...), else `mock-idp` on `PATH`. Throws when none is found.
 */
export declare function findBinary(): string;

/** The per-platform package name for this machine, e.g. `@idp-harness/mock-idp-linux-x64`. */
export declare function platformPackage(): string;

// --- the admin API (lib/admin.js) -------------------------------------------------------------

/** An RFC 9457 problem body, as the admin API answers a refused call. */
export interface Problem {
  type: string;
  title: string;
  /** The HTTP status; 0 when no answer came. */
  status: number;
  detail: string;
  /** The offending member of the request (e.g. `seconds`), when the server names one. */
  field?: string;
}

/** The admin API refused a call (or could not be reached). */
export declare class MockIdpAdminError extends MockIdpError {
  readonly method: string;
  readonly path: string;
  readonly problem: Problem;
  /** `problem.status`. */
  readonly status: number;
}

/** `{ realm }`: the realm a call addresses; the server's default realm when absent. */
export interface InRealm {
  realm?: string;
}

/** A user as the admin API shows it (never the password). */
export interface User {
  username: string;
  id: string;
  enabled: boolean;
  email?: string | null;
  email_verified: boolean;
  name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  realm_roles: string[];
  client_roles: Record<string, string[]>;
}

/** A new user (`POST /_mock/realms/{realm}/users`). */
export interface NewUser {
  username: string;
  password: string;
  id?: string;
  enabled?: boolean;
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  realm_roles?: string[];
  client_roles?: Record<string, string[]>;
}

/** A client as the admin API shows it (never the secret). */
export interface Client {
  client_id: string;
  kind: 'confidential' | 'public';
  grant_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  pkce: string;
  scopes: string[];
  default_scopes: string[];
  roles: string[];
  audience_scopes: string[];
  service_account_roles: string[];
  introspection: boolean;
  access_token_format?: 'jwt' | 'opaque' | null;
  signing_alg?: string | null;
  /** The `private_key_jwt` public keys (a JWK set), null when none. */
  jwks?: { keys: Record<string, unknown>[] } | null;
  /** Where the client serves its `private_key_jwt` public keys, null when not by URL. */
  jwks_uri?: string | null;
}

/** A new client (`POST /_mock/realms/{realm}/clients`); a confidential one needs `secret`. */
export interface NewClient {
  client_id: string;
  kind: 'confidential' | 'public';
  secret?: string;
  grant_types: string[];
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  pkce?: 'required' | 'optional' | 'S256' | string;
  scopes?: string[];
  default_scopes?: string[];
  roles?: string[];
  audience_scopes?: string[];
  service_account_roles?: string[];
  introspection?: boolean;
  access_token_format?: 'jwt' | 'opaque';
  signing_alg?: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  /** `private_key_jwt` public keys: a JWK set of 1 to 16 RSA, EC or OKP public keys. */
  jwks?: { keys: Record<string, unknown>[] };
  /** Or where the client serves them: a loopback http(s) URL (Keycloak and generic flavors). */
  jwks_uri?: string;
}

/** Users of a realm (`/_mock/realms/{realm}/users`). */
export interface Users {
  list(options?: InRealm): Promise<User[]>;
  /** Rejects with status 404 when absent. */
  get(username: string, options?: InRealm): Promise<User>;
  /** Rejects with status 409 when the username is taken. */
  create(user: NewUser, options?: InRealm): Promise<User>;
  /** Changes members (`password`, `enabled`, `email`, `realm_roles`, ...); absent ones stay. */
  update(username: string, changes: Partial<Omit<NewUser, 'username' | 'id'>>, options?: InRealm): Promise<User>;
  disable(username: string, options?: InRealm): Promise<User>;
  delete(username: string, options?: InRealm): Promise<void>;
  /** Ends every login session of the user; back-channel logout tokens go to its clients. */
  logout(username: string, options?: InRealm): Promise<{ sessions: number; backchannel_notifications: number }>;
}

/** Clients of a realm (`/_mock/realms/{realm}/clients`). */
export interface Clients {
  list(options?: InRealm): Promise<Client[]>;
  get(clientId: string, options?: InRealm): Promise<Client>;
  create(client: NewClient, options?: InRealm): Promise<Client>;
  /** Changes members; `null` clears an optional one (`jwks`, `jwks_uri`, `signing_alg`, ...). */
  update(clientId: string, changes: Record<string, unknown>, options?: InRealm): Promise<Client>;
  delete(clientId: string, options?: InRealm): Promise<void>;
}

/** Which tokens a shape applies to. */
export type TokenKinds = 'access' | 'id' | 'both';

/** A shape for the next `count` tokens of a client and/or user (`POST /_mock/claims`). */
export interface QueuedClaims {
  /** Claims set (or overridden). */
  claims?: Record<string, unknown>;
  client?: string;
  user?: string;
  /** How many tokens it shapes; 1 by default. */
  count?: number;
  /** Claims removed. */
  remove?: string[];
  /** JOSE header members set. */
  headers?: Record<string, unknown>;
  tokens?: TokenKinds;
  /** Only in this realm; every realm when absent. */
  realm?: string;
}

/** The claim queue (`/_mock/claims`). */
export interface ClaimQueue {
  queue(shape: QueuedClaims): Promise<Record<string, unknown>>;
  list(): Promise<Record<string, unknown>[]>;
  clear(): Promise<void>;
}

/** A standing mapping rule (`POST /_mock/mappings`): shapes every token whose request matches. */
export interface MappingRule {
  claims?: Record<string, unknown>;
  grant?: string;
  client?: string;
  user?: string;
  scope?: string;
  /** Form parameters the token request must carry with these values. */
  params?: Record<string, string>;
  remove?: string[];
  headers?: Record<string, unknown>;
  tokens?: TokenKinds;
  realm?: string;
}

/** Standing mapping rules (`/_mock/mappings`). */
export interface Mappings {
  add(rule: MappingRule): Promise<Record<string, unknown>>;
  list(): Promise<Record<string, unknown>[]>;
  clear(): Promise<void>;
}

/** A fault rule's `fault` member; build one with {@link Fault}. */
export type FaultKind = { kind: string } & Record<string, unknown>;

/** Builders for a fault rule's `fault` member. */
export declare const Fault: {
  /** That status with an OAuth `server_error` body. */
  status(status: number): FaultKind;
  /** That status and body. */
  respond(status: number, body: string): FaultKind;
  /** 200 with that body. */
  body(body: string): FaultKind;
  /** The normal answer with extra headers. */
  headers(headers: [string, string][]): FaultKind;
  /** The normal answer, `ms` milliseconds later. */
  delay(ms: number): FaultKind;
  /** Close the connection without answering. */
  dropConnection(): FaultKind;
  /** The normal answer cut in half. */
  malformedJson(): FaultKind;
  /** 503 with `Retry-After` and `temporarily_unavailable`. */
  outage(): FaultKind;
  /** 200 `{"keys": []}` (jwks). */
  emptyKeySet(): FaultKind;
  /** The JWK set from before the last rotation (jwks). */
  staleKeySet(): FaultKind;
  /** The real JWK set padded to `bytes` (jwks). */
  hugeKeySet(bytes: number): FaultKind;
};

/** When a fault rule applies: `'once'`, `'until_cleared'`, or a {@link FaultScope} builder's value. */
export type FaultScopeValue = 'once' | 'until_cleared' | { times: number } | { probability: { p: number; seed: number } };

/** Builders for a fault rule's scope. */
export declare const FaultScope: {
  /** The next `n` matching requests. */
  times(n: number): FaultScopeValue;
  /** Each matching request with probability `p`, reproducible for a `seed`. */
  probability(p: number, seed: number): FaultScopeValue;
};

/** An endpoint name fault rules and hit counters use. */
export type FaultEndpoint =
  | 'discovery'
  | 'jwks'
  | 'authorize'
  | 'token'
  | 'userinfo'
  | 'introspect'
  | 'revoke'
  | 'end_session'
  | (string & {});

/** An active fault rule. */
export interface FaultRule {
  id: number;
  endpoint: string;
  fault: FaultKind;
  realm?: string | null;
  scope: FaultScopeValue;
  /** How often it fired. */
  fired: number;
  /** Firings left, for a counted scope. */
  remaining?: number | null;
}

/** Requests an endpoint of a realm received. */
export interface Hit {
  realm: string;
  endpoint: string;
  hits: number;
}

/** Fault rules (`/_mock/faults`) and hit counters (`/_mock/hits`). */
export interface Faults {
  /** Adds a rule; its id. Every realm when `realm` is absent. */
  add(endpoint: FaultEndpoint, fault: FaultKind, options?: { scope?: FaultScopeValue; realm?: string }): Promise<number>;
  list(): Promise<FaultRule[]>;
  /** Rejects with 404 once the rule is used up or gone. */
  remove(id: number): Promise<void>;
  clear(): Promise<void>;
  hits(): Promise<Hit[]>;
  /** Requests `endpoint` of the realm received (the fault endpoint names: `token`, `jwks`, ...). */
  hitCount(endpoint: string, options?: InRealm): Promise<number>;
  clearHits(): Promise<void>;
}

/** A realm key. */
export interface Key {
  kid: string;
  alg: string;
  state: 'active' | 'retired' | 'publish_only';
  /** When a retired key leaves the JWK set (seconds since the epoch). */
  until?: number | null;
}

/** Signing keys of a realm (`/_mock/realms/{realm}/keys`). */
export interface Keys {
  list(options?: InRealm): Promise<Key[]>;
  /** The key that signs now. */
  active(options?: InRealm): Promise<Key>;
  /** A new signing key; the old one stays published for `overlapSeconds`. */
  rotate(options?: { overlapSeconds?: number; realm?: string }): Promise<Key[]>;
  /** Removes a retired key (or every retired key) from the JWK set. */
  retire(options?: { kid?: string; realm?: string }): Promise<Key[]>;
  /** Publishes a key of `alg` that never signs; its kid. */
  publish(alg: string, options?: InRealm): Promise<string>;
  /** The realm's signing algorithm; `null`: the world's. */
  setAlg(alg: string | null, options?: InRealm): Promise<void>;
}

/** The mock's clock. */
export interface ClockState {
  now: number;
  frozen: boolean;
  offset_seconds: number;
}

/** The mock's clock (`/_mock/clock`); advancing expires codes, tokens and sessions. */
export interface Clock {
  get(): Promise<ClockState>;
  freeze(): Promise<ClockState>;
  resume(): Promise<ClockState>;
  advance(seconds: number): Promise<ClockState>;
  /** Sets the time (seconds since the epoch); a frozen clock stays frozen. */
  set(now: number): Promise<ClockState>;
  /** Back in step with the system clock. */
  reset(): Promise<ClockState>;
}

/** A JWT a logged request carried or the token endpoint issued: header and claims, no signature. */
export interface LoggedToken {
  /** `param:NAME`, `header:NAME` or `response:NAME` (e.g. `response:access_token`). */
  source: string;
  header: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** A provider request the mock answered (secrets and tokens masked). */
export interface LoggedRequest {
  id: number;
  /** The mock's clock when it arrived. */
  time: number;
  realm: string;
  /** `Token`, `Jwks`, `Authorize`, ... */
  endpoint: string;
  method: string;
  path: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  client?: string;
  status: number;
  /** The OAuth error code of the answer, if any. */
  error?: string;
  tokens?: LoggedToken[];
}

/** Filters of the request log; every one given must match. */
export interface LogFilter {
  realm?: string;
  endpoint?: string;
  client?: string;
  status?: number;
  /** At or after this time (seconds since the epoch, the mock's clock). */
  since?: number;
}

/** A request-log query's answer. */
export interface LogListing {
  entries: LoggedRequest[];
  /** Requests evicted because the log was full. */
  dropped: number;
  capacity: number;
}

/** The request log (`/_mock/log`). */
export interface RequestLog {
  query(filter?: LogFilter): Promise<LogListing>;
  entries(filter?: LogFilter): Promise<LoggedRequest[]>;
  clear(): Promise<void>;
}

/** What a minted token is wrong in. */
export type Defect = 'expired' | 'not_yet_valid' | 'wrong_issuer' | 'wrong_audience' | 'unknown_kid' | 'bad_signature' | 'alg_none';

/** Options of {@link MockIdp.mint}. */
export interface MintOptions {
  /** The user; without one, a service-account token for `client`. */
  user?: string;
  client?: string;
  defects?: Defect[];
  /** Claims set or overridden (after the defects). */
  claims?: Record<string, unknown>;
  scope?: string;
  expiresIn?: number;
  realm?: string;
}

/** A minted access token. */
export interface Minted {
  accessToken: string;
  tokenType: string;
  raw: Record<string, unknown>;
}

/** Pending device authorizations (RFC 8628), decided as the user-code page would; the device's next poll sees the decision. */
export interface Devices {
  /** Approves as `username` (a 404 `MockIdpAdminError` when no such user or pending user code). */
  approve(userCode: string, username: string, options?: InRealm): Promise<void>;
  /** Denies: the next poll gets `access_denied`. */
  deny(userCode: string, options?: InRealm): Promise<void>;
  /** Expires now: the next poll gets `expired_token`. */
  expire(userCode: string, options?: InRealm): Promise<void>;
}

/** The admin API of one server (`idp.admin`). */
export declare class Admin {
  constructor(baseUrl: string, defaultRealm: string, options?: { token?: string; timeoutMs?: number });
  readonly defaultRealm: string;
  readonly users: Users;
  readonly clients: Clients;
  readonly claims: ClaimQueue;
  readonly mappings: Mappings;
  readonly faults: Faults;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly log: RequestLog;
  readonly devices: Devices;
  /** Back to the world as loaded; the parts reset. */
  reset(): Promise<string[]>;
  /** The token endpoint's answer through the provider's real grants (`POST /_mock/tokens/issue`). */
  issue(request: { client: string; user?: string; realm?: string }): Promise<Record<string, unknown>>;
  /** Mints an access token directly (`POST /_mock/tokens`). */
  mint(options?: MintOptions): Promise<Minted>;
}
