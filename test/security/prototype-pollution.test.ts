// Attack 2 (issue 9): prototype pollution through the realm every domain shares with the
// kernel. A hostile stack tries every way to change an intrinsic or a global binding the
// kernel uses; in the hardened realm (emulator/machine/realm.ts) each one is refused, so it
// never catches a kernel object, and the neighbour is unharmed. The same attack in an
// unhardened realm (a fresh process, kernel option unsafe.unhardenedRealm) takes the kernel's
// Domain object, forges a capability to the neighbour's page, maps it writable and writes it:
// the proof that the test can see the attack.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleScript, runScript } from '../support/fresh-node.js';
import { arena, ARENA_CYCLES } from './arena.js';
import { newOutcome, pollutionAttack, type PollutionOutcome } from './attacks/pollution.js';

describe('attack 2: prototype pollution through the shared realm', () => {
  it('every change to a shared intrinsic, global or the context is refused; the neighbour is unharmed', () => {
    const out = newOutcome();
    const a = arena({ hostile: pollutionAttack(out) });
    a.run(ARENA_CYCLES);
    expect(out.attempts).toEqual({
      'define Set.prototype.add': 'TypeError',
      'Reflect.set Map.prototype.set': 'refused',
      'reparent Array.prototype': 'TypeError',
      'add to Object.prototype': 'TypeError',
      'rebind the global Set': 'TypeError',
      'change the context': 'TypeError',
      'assign Array.prototype.push': 'TypeError',
    });
    expect(out.capturedDomain).toBe(false);
    expect(out.scribbled).toBe(false);
    expect(a.harm()).toEqual([]);
    expect(a.neighbour.echoed).toBeGreaterThan(10);
  });

  it('with the realm not hardened, the same attack forges a capability and writes into the neighbour\'s page', async () => {
    const script = await bundleScript(join(__dirname, 'fixtures/unhardened.ts'), 'security-unhardened-pollution');
    const r = runScript<{ out: PollutionOutcome; harm: string[]; frozen: boolean }>(script, 'pollution');
    expect(r.frozen).toBe(false);
    expect(r.out.attempts['assign Array.prototype.push']).toBe('changed');
    expect(r.out.capturedDomain).toBe(true);
    expect(r.out.mapped).toBe('ok');
    expect(r.out.scribbled).toBe(true);
    // The isolation check (item 4, from the frame table) sees the neighbour's page in the hostile's space.
    expect(r.harm.some((v) => v.startsWith('4 isolation: stack0'))).toBe(true);
  });
});
