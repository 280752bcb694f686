// Tests that need an outside tool (tshark, nasm, socat, Chromium, root) ask here first.
// Locally a missing tool skips the test with a printed reason; under REQUIRE_ALL=1 (set by
// .ci/run) a missing tool is a failure, so nothing skips silently in CI.

import { execFileSync } from 'node:child_process';

export const REQUIRE_ALL = process.env.REQUIRE_ALL === '1';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `cmd` is available. When it is not: throws under REQUIRE_ALL=1, otherwise prints
 * why the dependent tests skip and returns false (use with `it.skipIf(!has('tshark'))`).
 */
export function has(cmd: string, why = `needs ${cmd} on PATH`): boolean {
  if (onPath(cmd)) return true;
  if (REQUIRE_ALL) throw new Error(`REQUIRE_ALL=1 but '${cmd}' is missing: ${why}`);
  console.warn(`[skip] ${why}: '${cmd}' not found (CI installs it; set REQUIRE_ALL=1 to make this an error)`);
  return false;
}

/** Like has(), for a condition that is not a command (root, a kernel feature). */
export function requires(ok: boolean, what: string): boolean {
  if (ok) return true;
  if (REQUIRE_ALL) throw new Error(`REQUIRE_ALL=1 but ${what} is not available`);
  console.warn(`[skip] ${what} is not available here (CI provides it; set REQUIRE_ALL=1 to make this an error)`);
  return false;
}
