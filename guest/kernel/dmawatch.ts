// The bus observer for DESIGN.md §6 item 1, "DMA lands only where it was aimed": it sees
// every DMA beat as it happens and checks that a write lands in a frame pinned writable for
// the device (never a free frame, never a kernel frame, never one reallocated since its pin:
// a pinned frame cannot be freed, so it cannot be reallocated either), and that a read reads
// a pinned frame. Violations are recorded, not thrown: the bus keeps running and the tests
// read them through checkInvariants(). Which pin a beat's transfer was aimed with the kernel
// cannot know (the card's descriptors and the driver's records say it): that half of item 1,
// the frame pinned *for the transfer the card is executing*, is checked by the composition
// (emulator/cli/scenario/transfers.ts) from the same beats.

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import type { DmaBeat } from '../../emulator/machine/dma.js';
import type { KernelState } from './state.js';

export function watchDma(k: KernelState): void {
  k.hw.machine.dma.observers.add((beat: DmaBeat) => {
    if (beat.phys < 0) return; // master abort or IOMMU fault: nothing reached memory
    k.counters.dmaBeatsChecked++;
    const first = Math.floor(beat.phys / FRAME_SIZE);
    const last = Math.floor((beat.phys + beat.length - 1) / FRAME_SIZE);
    for (let f = first; f <= last; f++) {
      const why = check(k, f, beat.write);
      if (why) k.busViolations.push(`cycle ${beat.cycle}: ${beat.master} ${beat.write ? 'wrote' : 'read'} frame ${f} (phys 0x${beat.phys.toString(16)}): ${why}`);
    }
  });
}

function check(k: KernelState, f: number, write: boolean): string | undefined {
  const frames = k.frames;
  if (f >= frames.state.length) return 'outside RAM';
  const state = frames.state[f];
  if (state !== 'allocated' && state !== 'quarantined') return `frame is ${state}`;
  if (frames.pins[f] === 0) return 'frame is not pinned';
  if (write && k.writablePins[f] === 0) return 'frame is pinned for the device to read only';
  if (k.pinEpoch[f] !== frames.epoch[f]) return 'frame reallocated since its pin';
  return undefined;
}
