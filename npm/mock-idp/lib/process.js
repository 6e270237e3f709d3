// Running the mock-idp binary: one-shot commands and the `serve` child.

import { execFile } from 'node:child_process';

/** Raised when the binary fails to start, exits, or refuses a request; the message carries its words. */
export class MockIdpError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'MockIdpError';
  }
}

// Variables the binary reads (clap `env = ...`); children get none of them so that the arguments
// this package passes are the whole configuration (as the Python package does). MOCK_IDP_LOG is kept.
const CHILD_ENV_DROPPED = new Set([
  'MOCK_IDP_WORLD',
  'MOCK_IDP_PROVIDER',
  'MOCK_IDP_KEYS',
  'MOCK_IDP_PUBLIC_URL',
  'MOCK_IDP_PORT',
  'MOCK_IDP_BIND',
  'MOCK_IDP_AUTO_APPROVE',
  'MOCK_IDP_HEADER_READ_TIMEOUT',
  'MOCK_IDP_IDLE_TIMEOUT',
  'MOCK_IDP_MAX_CONNECTIONS',
  'MOCK_IDP_MAX_STATE_ENTRIES',
]);

/** This process's environment without the variables the binary would read. */
export function childEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !CHILD_ENV_DROPPED.has(name)),
  );
}

/** Largest stdout or stderr a one-shot command may print (a token response is a few KB). */
const MAX_OUTPUT = 1024 * 1024;

/**
 * Runs a one-shot `mock-idp` command; resolves with its stdout, rejects with a MockIdpError
 * carrying its stderr.
 *
 * @param {string} binary
 * @param {string[]} args
 * @returns {Promise<string>}
 */
export function run(binary, args) {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { env: childEnv(), timeout: 30_000, maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const words = String(stderr).trim().replace(/^mock-idp: /, '') || error.message;
          reject(new MockIdpError(`mock-idp ${args[0]}: ${words}`, { cause: error }));
        } else {
          resolve(String(stdout));
        }
      },
    );
  });
}
