test('MOCK_IDP_HANDLE describes the same server', async () => {
  const handle = JSON.parse(process.env.MOCK_IDP_HANDLE);
  expect(handle.provider).toBe('keycloak');
  expect(`${handle.baseUrl}/realms/${handle.realm}`).toBe(process.env.OIDC_ISSUER);
  const jwks = await (await fetch(process.env.OIDC_JWKS_URI)).json();
  expect(jwks.keys.length).toBeGreaterThan(0);
});
