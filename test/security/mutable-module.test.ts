// Attack 3 (issue 9): a module domain code may import is a shared mutable object. A hostile
// stack tries to change the ring layout, the driver's defaults, a constant table, and the
// prototypes of classes and generator functions the driver and the neighbour use: every
// export is frozen (the architecture test frozen-modules.test.ts keeps it so), each change is
// refused and the neighbour's echoes keep coming. With nothing frozen (a fresh process without
// the realm's hardening), the same attack moves the driver's deliveries where the neighbour
// never looks: its echoes stop.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleScript, runScript } from '../support/fresh-node.js';
import { arena, ARENA_CYCLES, LIVENESS_WINDOW } from './arena.js';
import { mutableModuleAttack, type MutableModuleOutcome } from './attacks/mutable-module.js';

describe('attack 3: mutable shared modules', () => {
  it('every change to a shared export is refused; the neighbour keeps exchanging echoes', () => {
    const out: MutableModuleOutcome = { attempts: {}, at: 0 };
    let echoedAtAttempt = 0;
    const a = arena({ hostile: mutableModuleAttack(out, () => (echoedAtAttempt = a.neighbour.echoed)) });
    a.run(ARENA_CYCLES);
    expect(Object.values(out.attempts)).toHaveLength(6);
    for (const [what, result] of Object.entries(out.attempts)) expect(result, what).toBe('TypeError');
    expect(echoedAtAttempt).toBeGreaterThan(0);
    expect(a.neighbour.echoed).toBeGreaterThan(echoedAtAttempt + 10);
    expect(a.harm()).toEqual([]);
  });

  it('with nothing frozen, the changed ring layout starves the neighbour', async () => {
    const script = await bundleScript(join(__dirname, 'fixtures/unhardened.ts'), 'security-unhardened-modules');
    const r = runScript<{ out: MutableModuleOutcome; echoedAtAttempt: number; echoedAtEnd: number; harm: string[] }>(script, 'modules');
    expect(r.out.attempts["the ring layout's delivery offset"]).toBe('changed');
    expect(r.echoedAtAttempt).toBeGreaterThan(0);
    // At most the echoes already on their way when the layout changed still arrive.
    expect(r.echoedAtEnd - r.echoedAtAttempt).toBeLessThanOrEqual(2);
    expect(r.harm).toContain(`the neighbour got no echo back in the last ${LIVENESS_WINDOW} cycles`);
  });
});
