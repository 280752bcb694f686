// `npm run bench`: measures host-speed figures side by side in one run and prints them.
// Speed lives here, never in tests. Each area contributes a list of measurements.

import '../emulator/machine/realm-hardened.js';
import { benchBoot } from './boot.js';
import { benchDevices } from './devices.js';
import { benchExplore } from './explore.js';
import { benchKernel } from './kernel.js';
import { benchMachine } from './machine.js';
import { benchNetdriver } from './netdriver.js';
import { benchNetstack } from './netstack.js';
import { benchRealm } from './realm.js';
import { printResults, type BenchResult } from './report.js';
import { benchX86 } from './x86.js';

const sections: [string, () => BenchResult[] | Promise<BenchResult[]>][] = [['machine', benchMachine], ['devices', benchDevices], ['x86', benchX86], ['kernel', benchKernel], ['netdriver', benchNetdriver], ['netstack', benchNetstack], ['boot', benchBoot], ['explore', benchExplore], ['realm', benchRealm]];

// `npm run bench -- explore boot` runs only the sections named.
const only = process.argv.slice(2);
const unknown = only.filter((n) => !sections.some(([s]) => s === n));
if (unknown.length > 0) throw new Error(`no bench section ${unknown.join(', ')}; there are: ${sections.map(([s]) => s).join(', ')}`);

for (const [name, run] of sections.filter(([s]) => only.length === 0 || only.includes(s))) {
  console.log(`\n## ${name}`);
  printResults(await run());
}
