// A child process of the bench's realm section (realm.ts): runs the default boot scenario once
// in a hardened realm, or in an unhardened one (`unhardened`: no lockdown, harden an identity,
// the kernel booted with unsafe.unhardenedRealm), and prints the run's host milliseconds and
// trace hash as one line of JSON. A hardened realm cannot be undone, hence a process per run.

import { UNHARDENED } from './realm-mode.js';
import { BOOT_DEFAULTS, runBootScenario } from '../cli/scenario/boot.js';
import { REALM_MILLIS } from './realm.js';

const kernel = UNHARDENED ? { unsafe: { unhardenedRealm: true } } : undefined;
runBootScenario({ ...BOOT_DEFAULTS, millis: 20, kernel }); // warm up the JIT
const start = performance.now(); // wall-clock ok
const r = runBootScenario({ ...BOOT_DEFAULTS, millis: REALM_MILLIS, kernel });
const ms = performance.now() - start; // wall-clock ok
if (r.problems.length > 0) throw new Error(`realm bench child: the run had problems: ${r.problems.join('; ')}`);
console.log(JSON.stringify({ ms, hash: r.trace.hash, frozen: Object.isFrozen(Object.prototype) }));
