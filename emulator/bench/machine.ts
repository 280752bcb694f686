// Machine figures: clock events per host second, and translated 4-byte accesses per host
// second with TLB hits and TLB misses measured separately (HARDWARE.md's revocation races
// live on these paths, so their speed bounds every experiment). Host figures: each a slice of
// SLICE_MS, the three interleaved, min and median of the repeats.

import { Machine } from '../machine/machine.js';
import { CR0_PG, PTE_P, PTE_RW, PTE_US } from '../machine/paging.js';
import { atLeast, host } from './figures.js';
import type { Section } from './section.js';
import { measureInterleaved, MIN_REPEATS, opsPerSecond } from './stats.js';

const SLICE_MS = 200;
const REPEATS = 5;
/** Issue 1's goals, per host second. */
const EVENTS_GOAL = 20_000_000;
const TLB_HIT_GOAL = 20_000_000;

function eventsPerSecond(): () => number {
  const m = new Machine({ memoryBytes: 1 << 20 });
  const src = m.eventSource('bench');
  // Eight self-rescheduling event chains, like a few devices ticking at once.
  let fired = 0;
  const chain = (period: number) => {
    const tick = () => {
      fired++;
      src.post(m.clock.now + period, tick);
    };
    src.post(period, tick);
  };
  for (let i = 0; i < 8; i++) chain(5 + i);
  return () => opsPerSecond(() => {
    const before = fired;
    m.clock.runUntil(m.clock.now + 100_000);
    return fired - before;
  }, SLICE_MS);
}

function pagedCpu() {
  const m = new Machine({ memoryBytes: 16 << 20 });
  const pd = 0x100000;
  const pt = 0x101000;
  m.memory.write32(pd + 1 * 4, pt | PTE_P | PTE_RW | PTE_US);
  for (let i = 0; i < 1024; i++) m.memory.write32(pt + i * 4, (0x400000 + i * 0x1000) | PTE_P | PTE_RW | PTE_US);
  m.cpu.writeCr3(pd);
  m.cpu.writeCr0(CR0_PG);
  m.cpu.mode = 'user';
  return m;
}

function tlbHitAccessesPerSecond(): () => number {
  const cpu = pagedCpu().cpu;
  return () => opsPerSecond(() => {
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += cpu.load32(0x400000 + ((i * 4) & 0x3ffc)); // 4 pages: always TLB hits
    return sum >= 0 ? 100_000 : 0;
  }, SLICE_MS);
}

function tlbMissAccessesPerSecond(): () => number {
  const m = pagedCpu();
  const cpu = m.cpu;
  return () => opsPerSecond(() => {
    let sum = 0;
    // 1024 pages cycled through a 64-entry TLB: every access misses and walks.
    for (let i = 0; i < 100_000; i++) sum += cpu.load32(0x400000 + ((i * 0x1000 * 17) & 0x3ff000));
    return sum >= 0 ? 100_000 : 0;
  }, SLICE_MS);
}

export const machineSection: Section = {
  name: 'machine',
  title: 'machine: clock events and translated accesses (host; the machine alone, no kernel or guest)',
  async run(ctx) {
    const s = await measureInterleaved([
      { name: 'events', run: eventsPerSecond() },
      { name: 'hit', run: tlbHitAccessesPerSecond() },
      { name: 'miss', run: tlbMissAccessesPerSecond() },
    ], ctx.quick ? MIN_REPEATS : REPEATS);
    const rig = `the machine alone (no CPU model's guest, kernel or devices), ${SLICE_MS} ms slices`;
    return {
      figures: [
        host('clock events, 8 self-rescheduling chains', s.events!, 'events/host s', rig, atLeast(s.events!.median, EVENTS_GOAL)),
        host('translated load32, TLB hit', s.hit!, 'accesses/host s', rig, atLeast(s.hit!.median, TLB_HIT_GOAL)),
        host('translated load32, TLB miss + walk', s.miss!, 'accesses/host s', rig),
      ],
    };
  },
};
