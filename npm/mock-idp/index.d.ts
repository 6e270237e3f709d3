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
