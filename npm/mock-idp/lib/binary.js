// Locating the mock-idp binary: MOCK_IDP_BIN, the per-platform package, then PATH.

import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);
const EXE = process.platform === 'win32' ? 'mock-idp.exe' : 'mock-idp';

/** The per-platform package for this machine, e.g. `@idp-harness/mock-idp-linux-x64`. */
export function platformPackage() {
  return `@idp-harness/mock-idp-${process.platform}-${process.arch}`;
}

function isExecutable(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The mock-idp binary to run: the `MOCK_IDP_BIN` environment variable, else the binary of the
 * per-platform package npm installed, else `mock-idp` on `PATH`.
 *
 * @returns {string}
 */
export function findBinary() {
  const override = process.env.MOCK_IDP_BIN;
  if (override) {
    if (!isExecutable(override)) {
      throw new Error(`MOCK_IDP_BIN=${override} is not an executable file`);
    }
    return override;
  }
  const pkg = platformPackage();
  try {
    const path = require.resolve(`${pkg}/bin/${EXE}`);
    if (isExecutable(path)) return path;
  } catch {
    // Not installed (another platform, or --no-optional): try PATH.
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, EXE))) return join(dir, EXE);
  }
  throw new Error(
    `the mock-idp binary was not found: ${pkg} is not installed (npm leaves out optional ` +
      'dependencies with --omit=optional, and builds only some platforms) and no mock-idp is on ' +
      'PATH; set MOCK_IDP_BIN to a mock-idp binary',
  );
}
