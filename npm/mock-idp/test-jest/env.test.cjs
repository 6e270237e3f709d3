const { writeFileSync } = require('node:fs');

// Two test files: jest runs them in worker processes, which inherit what globalSetup set.
test('globalSetup started a keycloak-flavored server the workers can reach', async () => {
  const { OIDC_ISSUER, OIDC_DISCOVERY_URL, KEYCLOAK_SERVER_URL, KEYCLOAK_REALM, MOCK_IDP_URL } = process.env;
  expect(OIDC_ISSUER).toBe(`${KEYCLOAK_SERVER_URL}/realms/${KEYCLOAK_REALM}`);
  const discovery = await (await fetch(OIDC_DISCOVERY_URL)).json();
  expect(discovery.issuer).toBe(OIDC_ISSUER);
  // For test-packed.sh: no server may outlive the jest run.
  writeFileSync(`${__dirname}/seen-port`, new URL(MOCK_IDP_URL).port);
});
