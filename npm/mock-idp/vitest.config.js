import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.js'],
    // One server for the run, as an app's suite would use it (test/global-setup.test.js).
    globalSetup: ['./test/global-setup.js'],
    testTimeout: 30_000,
  },
});
