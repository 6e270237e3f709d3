import { createGlobalSetup } from '@idp-harness/mock-idp/global-setup';

export default createGlobalSetup({ provider: 'keycloak' });
