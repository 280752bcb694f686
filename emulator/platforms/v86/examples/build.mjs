// Builds the x86 example images from ne2k-selftest.asm with nasm (`npm run build:x86`):
// the self-test, and the benchmark guest (the same source with -DBENCH_FRAMES). The built
// images are committed, so running the tests needs no nasm; a test rebuilds them into a
// scratch directory and checks they are byte-identical to the committed ones.
//
// Usage: node build.mjs [output-directory]   (default: beside this file)

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'ne2k-selftest.asm');

/** Image file name and the nasm defines that make it. */
const IMAGES = [
  ['ne2k-selftest.img', []],
  ['ne2k-bench.img', ['-DBENCH_FRAMES=500']],
];

const out = process.argv[2] ?? here;
for (const [name, defines] of IMAGES) {
  execFileSync('nasm', ['-f', 'bin', '-Werror', ...defines, '-o', join(out, name), source], { stdio: 'inherit' });
}
