// What the openid-client scripts share: assertions and the step runner that prints one line per
// step and the summary line tests/e2e/node_client.rs reads ("<name>: N passed, M failed").

import { inspect } from 'node:util';

export class AssertionFailed extends Error {}

export function check(condition, message) {
  if (!condition) throw new AssertionFailed(message);
}

export function equal(actual, expected, what) {
  check(actual === expected, `${what}: expected ${inspect(expected)}, got ${inspect(actual)}`);
}

/**
 * Runs `steps` (`[name, async () => detail]`) in order, stopping at the first failure; prints the
 * summary line as `name` and returns whether every step passed.
 */
export async function runSteps(name, steps) {
  let passed = 0;
  let failed = 0;
  for (const [step, run] of steps) {
    try {
      const detail = await run();
      passed += 1;
      console.log(`ok   ${step}: ${detail}`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${step}: ${err instanceof Error ? `${err.name}: ${err.message}` : inspect(err)}`);
      break;
    }
  }
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  return failed === 0;
}
