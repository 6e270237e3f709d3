// jest's globalTeardown (vitest uses the function globalSetup returns instead).

export { stopGlobalMockIdp as default } from './global-setup.js';
