// What a run's events show that no single line of an explanation does (explain.ts): the
// absence of an event. Two omissions are the planted bugs of DESIGN.md §6 items 2 and 3,
// and the defences a kernel change could lose:
//   a PTE of the loaded space cleared by a revocation with no INVLPG of its address (nor a
//   CR3 reload) after it: the TLB still translates the address to the revoked frame;
//   a pinned frame revoked and never quarantined, then free or reallocated: it left its
//   page while the card could still write it.
// Fed the machine's trace entries as they are recorded; reads the kernel's records, changes
// nothing.

import { FRAME_SIZE } from '../../machine/memory.js';
import type { TraceEntry } from '../../machine/trace.js';
import { mappingVa } from '../../../guest/kernel/spaces.js';
import { hex, type WorldNames } from './names.js';
import type { ExploreWorld } from './scenario.js';

export class Findings {
  /** By virtual address: PTEs of the loaded space cleared and not flushed from the TLB since. */
  private readonly unflushed = new Map<number, { readonly space: string; readonly frame: number; readonly cycle: number }>();
  /** By frame: frames revoked while pinned, not quarantined since. */
  private readonly unquarantined = new Map<number, { readonly cycle: number; readonly pins: string; readonly epoch: number }>();

  constructor(
    private readonly w: ExploreWorld,
    private readonly names: WorldNames,
  ) {}

  saw(e: TraceEntry): void {
    const a = e.args[0] ?? 0;
    switch (e.kind) {
      case 'kernel.revoke': {
        // Recorded before the mappings are cleared: the reverse map still lists them.
        const k = this.w.kernel.state;
        for (const m of k.frames.rmap[a] ?? []) {
          const space = m.table.space;
          if (space.pd * FRAME_SIZE === this.w.machine.mmu.cr3) this.unflushed.set(mappingVa(m), { space: this.names.space(space), frame: a, cycle: e.cycle });
        }
        if ((k.frames.pins[a] ?? 0) > 0) this.unquarantined.set(a, { cycle: e.cycle, pins: this.names.pinsOf(a) ?? `pin count ${k.frames.pins[a]}`, epoch: k.frames.epoch[a]! });
        return;
      }
      case 'kernel.quarantine':
        this.unquarantined.delete(a);
        return;
      case 'cpu.invlpg':
        this.unflushed.delete(a);
        return;
      case 'cpu.cr3':
        this.unflushed.clear();
        return;
    }
  }

  /** What the events show now, one sentence each. */
  now(): string[] {
    const frames = this.w.kernel.state.frames;
    const out: string[] = [];
    for (const [va, u] of this.unflushed) {
      out.push(`no INVLPG of va ${hex(va)} since the kernel cleared its PTE in ${u.space} (the loaded space) at cycle ${u.cycle}: the TLB still maps it to frame ${u.frame}`);
    }
    for (const [f, u] of this.unquarantined) {
      const now = frames.state[f] === 'free' ? 'it is free now' : frames.epoch[f] !== u.epoch ? 'it has been reallocated since' : undefined;
      if (now) out.push(`frame ${f}'s mappings were revoked at cycle ${u.cycle} while it had a live pin (${u.pins}), and it was never quarantined: ${now}`);
    }
    return out;
  }
}
