// vitest's global set-up: build dist/ (the CLI bundle, the explore worker, the page) once,
// before any test file runs. Test files that run the built CLI or serve the built page used to
// build it themselves, in parallel, each overwriting dist/ while another's browser or child
// process could be reading it.

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function buildOnce(): void {
  execFileSync('node', ['emulator/cli/build.mjs'], { cwd: resolve(__dirname, '../..'), stdio: 'inherit' });
}
