import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One Keycloak-flavored mock for the run; it sets KEYCLOAK_SERVER_URL, KEYCLOAK_REALM, ...
    globalSetup: ['./test/global-setup.js'],
    testTimeout: 20_000,
  },
});
