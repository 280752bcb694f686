// Attack 8 (issue 9): domain code running inside the kernel. A hostile stack hands the kernel
// arguments with a getter (that also tries to re-enter the kernel), a words array with an
// iterator that would smuggle 100,000 words past the 4-word limit, proxies, and a domain body
// that is a plain function. The kernel reads arguments as plain data (guest/kernel/args.ts)
// and starts a body on the new domain's own thread (spawn.ts): none of that code runs inside a
// kernel operation, every probe is refused, and the neighbour is unharmed. With the kernel's
// test switches trustArguments and bodyInKernel, the getter and the body do run inside the call.

import { describe, expect, it } from 'vitest';
import { arena, ARENA_CYCLES } from './arena.js';
import { kernelRunsCodeAttack, newKernelRunsCodeOutcome } from './attacks/kernel-runs-domain-code.js';

describe('attack 8: getting the kernel to run domain code', () => {
  it('getters, iterators and proxies never run; a body starts only on its own thread; the neighbour is unharmed', () => {
    const out = newKernelRunsCodeOutcome();
    const a = arena({ hostile: kernelRunsCodeAttack(out) });
    a.run(ARENA_CYCLES);
    expect(out.results).toEqual({ getter: 'bad-arg', iterator: 'ok', proxy: 'bad-arg', 'proxy words': 'bad-arg', allocDomain: 'ok' });
    expect(out.ran).toEqual([]);
    expect(out.nested).toBeUndefined();
    // The body was first called after allocDomain returned, when the child's thread ran.
    expect(out.bodyCalledAt).toBeGreaterThan(out.allocReturned);
    // The iterator's message went out with the array's own (zero) words: the driver saw nothing it would count as bad.
    expect(a.harm()).toEqual([]);
  });

  it('with the defences switched off, the getter and the body run inside the kernel call', () => {
    const out = newKernelRunsCodeOutcome();
    const a = arena({ hostile: kernelRunsCodeAttack(out), kernel: { unsafe: { trustArguments: true, bodyInKernel: true } } });
    a.run(ARENA_CYCLES);
    expect(out.ran.map(([probe]) => probe)).toContain('getter');
    expect(out.nested).toBe('KernelReentry');
    expect(out.bodyCalledAt).toBeGreaterThanOrEqual(out.allocIssued);
    expect(out.bodyCalledAt).toBeLessThanOrEqual(out.allocReturned);
  });
});
