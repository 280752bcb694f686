// Claiming a delegated region (DESIGN.md §4 "Address space": a delegated region's page table
// is built and controlled by another domain). Delegation hands out a capability, and a
// capability can be copied before it is passed on, so the delegating domain could keep a copy
// and go on mapping and unmapping in a region the receiver means to control (issue 9, attack
// 9b). `claim` makes its caller the region's only controller, the way revocation makes a page
// its bank's again: the region's version is bumped, which voids every capability to it (the
// caller's included: it gets a fresh one), and every PTE in the region is cleared, so nothing
// mapped before the claim survives it. The region's object, its table and who pays for it
// (the delegating bank, which may still destroy it) do not change.
//
// Whoever claims first wins: a later claim through an older capability finds it void
// ('invalid-cap'). The driver claims the region a stack sends in OPEN before it builds
// anything; a stack that claims it first has only voided the capability it sent, and its OPEN
// fails.

import { clearMappings, type Region } from './spaces.js';
import type { KernelState } from './state.js';

export function claimRegion(k: KernelState, region: Region): void {
  k.hw.compute(k.hw.costs.objectSetup);
  k.hw.record('kernel.claim', region.id, region.table.mappings.size);
  region.version++;
  clearMappings(k.hw, k.frames, region.table);
}
