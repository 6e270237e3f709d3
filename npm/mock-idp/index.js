// @idp-harness/mock-idp: a mock OpenID Connect provider (Keycloak, ZITADEL, WSO2 IS, IBM App ID
// flavors) for tests. Types and documentation: index.d.ts.

export { Admin, Fault, FaultScope, MockIdpAdminError } from './lib/admin.js';
export { findBinary, platformPackage } from './lib/binary.js';
export { MockIdpError } from './lib/process.js';
export { MockIdp, mockIdpFromEnv, PROVIDERS, startMockIdp } from './lib/server.js';
