// The package's own suite uses the globalSetup the way an app's suite would.
import { createGlobalSetup } from '@idp-harness/mock-idp/global-setup';

export default createGlobalSetup({ provider: 'keycloak' });
