import type { MockIdpOptions } from './index.js';

/**
 * A globalSetup function (vitest and jest): starts one server for the whole run, sets the
 * variables of `MockIdp.env()` (OIDC_ISSUER, ..., MOCK_IDP_HANDLE) in `process.env` for the test
 * workers, and returns the teardown (vitest calls it; jest uses `global-teardown`). Without
 * `options`, the provider, world and keys come from MOCK_IDP_PROVIDER, MOCK_IDP_WORLD and
 * MOCK_IDP_KEYS.
 */
export declare function createGlobalSetup(options?: MockIdpOptions): () => Promise<() => Promise<void>>;

/** Stops the server this process's globalSetup started and restores the environment. */
export declare function stopGlobalMockIdp(): Promise<void>;

/** `createGlobalSetup()`: options from MOCK_IDP_PROVIDER, MOCK_IDP_WORLD and MOCK_IDP_KEYS. */
declare const setup: () => Promise<() => Promise<void>>;
export default setup;
