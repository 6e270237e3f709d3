// Compiled by `tsc --noEmit` (npm run typecheck, and .ci/run against the packed tarball): the
// published declarations resolve through "exports" and type a consumer's usual calls.
import { MockIdpError, PROVIDERS, findBinary, mockIdpFromEnv, startMockIdp } from '@idp-harness/mock-idp';
import type { MockIdp, MockIdpEnv, Provider, TokenSet } from '@idp-harness/mock-idp';
import globalSetup, { createGlobalSetup, stopGlobalMockIdp } from '@idp-harness/mock-idp/global-setup';
import globalTeardown from '@idp-harness/mock-idp/global-teardown';

export async function usage(): Promise<string> {
  const provider: Provider = PROVIDERS[1] ?? 'keycloak';
  const idp: MockIdp = await startMockIdp({ provider, port: 0, config: { autoApprove: true } });
  const tokens: TokenSet = await idp.tokenFor('alice', 'web-app');
  const service: TokenSet = await idp.serviceToken('service');
  const env: MockIdpEnv = idp.env();
  const token: string = idp.url('token');
  const port: number = idp.port;
  const pid: number | undefined = idp.pid;
  await idp.stop();
  const attached = mockIdpFromEnv({ MOCK_IDP_HANDLE: env.MOCK_IDP_HANDLE });
  const teardown: () => Promise<void> = await createGlobalSetup({ provider: 'zitadel' })();
  await teardown();
  void globalSetup;
  void globalTeardown;
  void stopGlobalMockIdp;
  // @ts-expect-error: not a provider
  await startMockIdp({ provider: 'okta' });
  const error: Error = new MockIdpError('x');
  return [tokens.accessToken, service.refreshToken ?? '', token, String(port), String(pid), attached.issuer, findBinary(), error.message].join();
}
