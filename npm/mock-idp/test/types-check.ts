// Compiled by `tsc --noEmit` (npm run typecheck, and .ci/run against the packed tarball): the
// published declarations resolve through "exports" and type a consumer's usual calls.
import { Fault, FaultScope, MockIdpAdminError, MockIdpError, PROVIDERS, findBinary, mockIdpFromEnv, startMockIdp } from '@idp-harness/mock-idp';
import type { Client, Key, LoggedRequest, MockIdp, MockIdpEnv, Provider, TokenSet, User } from '@idp-harness/mock-idp';
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
  const user: User = await idp.admin.users.create({ username: 'u', password: 'p', realm_roles: ['user'] });
  const client: Client = await idp.admin.clients.create({ client_id: 'c', kind: 'public', grant_types: ['authorization_code'] });
  const rule: number = await idp.admin.faults.add('jwks', Fault.outage(), { scope: FaultScope.times(2) });
  const keys: Key[] = await idp.admin.keys.rotate({ overlapSeconds: 60 });
  const log: LoggedRequest[] = await idp.admin.log.entries({ endpoint: 'Token', status: 401 });
  const minted: string = (await idp.mint({ user: 'alice', client: 'web-app', defects: ['expired'] })).accessToken;
  await idp.admin.clock.advance(60);
  await idp.admin.devices.approve('ABCD-EFGH', 'alice', { realm: 'demo' });
  await idp.admin.devices.deny('ABCD-EFGH');
  await idp.admin.devices.expire('ABCD-EFGH');
  const parts: string[] = await idp.reset();
  // @ts-expect-error: not a defect
  await idp.mint({ defects: ['fresh'] });
  try {
    await idp.admin.users.get('nobody');
  } catch (err) {
    if (err instanceof MockIdpAdminError) void err.problem.detail;
  }
  void [user.username, client.client_id, rule, keys.length, log.length, minted, parts.length];
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
