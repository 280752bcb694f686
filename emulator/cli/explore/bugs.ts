// Planted bugs: known defects the explorer can switch on (`reloaded explore --bug NAME`, and
// the tests), each the removal of one defence of DESIGN.md, so that a sweep can show its
// checker fails when it should. A checker that cannot fail proves nothing; for each bug the
// scenario named in `caughtBy` must report a violation with it and none without it
// (test/explore/bugs.test.ts). Never on by default, and `reloaded run` cannot reach them:
// only this module turns a name into switches, and only the explorer calls it.

import type { UnsafeKernel } from '../../../guest/kernel/state.js';
import type { UnsafeOptions } from '../scenario/net.js';

export interface Bug {
  readonly summary: string;
  /** The scenario whose sweep must catch it. */
  readonly caughtBy: string;
  readonly kernel?: UnsafeKernel;
  readonly net?: UnsafeOptions;
}

export const BUGS = Object.freeze({
  'free-pinned-frame': {
    summary: 'the kernel frees a revoked page\'s frame while the card still has it pinned, instead of quarantining it',
    caughtBy: 'revoke-during-flip-rx',
    kernel: { freePinnedFrames: true },
  },
  'skip-tlb-flush': {
    summary: 'the kernel clears a PTE of the running space without INVLPG, leaving a stale TLB entry',
    caughtBy: 'unmap-vs-stale-tlb',
    kernel: { skipTlbFlush: true },
  },
  'no-header-copy': {
    summary: 'the driver checks a transmit header in the stack\'s page and lets the card read it from there',
    caughtBy: 'hostile-header-rewrite',
    net: { skipHeaderCopy: true },
  },
  'writable-rx-buffers': {
    summary: 'the driver maps receive buffers writable into their stack',
    caughtBy: 'revoke-during-copy-rx',
    net: { writableRxBuffers: true },
  },
  'exchange-pinned': {
    summary: 'the kernel exchanges pinned frames, and the driver exchanges a misplaced page before unpinning it',
    caughtBy: 'revoke-vs-exchange',
    kernel: { exchangePinned: true },
    net: { exchangeBeforeUnpin: true },
  },
  'no-zero-on-free': {
    summary: 'the kernel puts freed frames on the free list as clean, old bytes and all',
    caughtBy: 'revoke-during-copy-rx',
    kernel: { noZeroOnFree: true },
  },
  'wrong-buffer-dma': {
    summary: 'the driver arms a receive descriptor with another session\'s pinned buffer',
    caughtBy: 'revoke-during-flip-rx',
    net: { wrongBufferDma: true },
  },
  'full-rights-endpoint': {
    summary: 'stacks get the driver\'s endpoint with all rights, receiving included',
    caughtBy: 'steal-driver-messages',
    net: { stacksReceiveOnDriverEndpoint: true },
  },
} satisfies Record<string, Bug>);

export type BugName = keyof typeof BUGS;

export const BUG_NAMES = Object.freeze(Object.keys(BUGS) as BugName[]);

export function isBugName(name: string): name is BugName {
  return Object.hasOwn(BUGS, name);
}

/** The composition switches a bug (or none) stands for. */
export function bugSwitches(name: BugName | undefined): { kernel: UnsafeKernel; net: UnsafeOptions } {
  const b: Bug | undefined = name === undefined ? undefined : BUGS[name];
  return { kernel: { ...b?.kernel }, net: { ...b?.net } };
}
