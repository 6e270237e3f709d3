// jest wiring of the package, as a user writes it (run by npm/test-packed.sh with
// MOCK_IDP_PROVIDER=keycloak, against the installed tarballs).
module.exports = {
  globalSetup: '@idp-harness/mock-idp/global-setup',
  globalTeardown: '@idp-harness/mock-idp/global-teardown',
  testMatch: ['**/*.test.cjs'],
};
