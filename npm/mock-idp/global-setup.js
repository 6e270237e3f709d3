// A test runner's globalSetup: one mock provider for the whole run, found by the tests through
// environment variables (OIDC_ISSUER, ..., MOCK_IDP_HANDLE for mockIdpFromEnv()).

import { startMockIdp } from './lib/server.js';

const KEY = Symbol.for('@idp-harness/mock-idp/global');

/**
 * A globalSetup function starting a server with `options` (by default from MOCK_IDP_PROVIDER,
 * MOCK_IDP_WORLD and MOCK_IDP_KEYS). See global-setup.d.ts.
 */
export function createGlobalSetup(options) {
  return async function setup() {
    const chosen = options ?? {
      provider: process.env.MOCK_IDP_PROVIDER || undefined,
      world: process.env.MOCK_IDP_WORLD || undefined,
      keys: process.env.MOCK_IDP_KEYS || undefined,
    };
    const idp = await startMockIdp(chosen);
    const env = idp.env();
    const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    const teardown = async () => {
      delete globalThis[KEY];
      for (const [name, value] of Object.entries(before)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await idp.stop();
    };
    globalThis[KEY] = teardown;
    return teardown;
  };
}

/** Stops the server the globalSetup of this process started (jest's globalTeardown). */
export async function stopGlobalMockIdp() {
  await globalThis[KEY]?.();
}

export default createGlobalSetup();
