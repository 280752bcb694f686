// Session setup (DESIGN.md §5): a stack calls OPEN with an opaque sub-bank of its own bank and
// a region of its space delegated to the driver. From the opaque bank the driver allocates a
// *session bank*, of which it keeps the one right it needs, destroy. It claims the region
// (kernel `claim`: any copy of its capability the stack kept goes void), so that from then on
// only the driver maps and unmaps in it. From the session bank it allocates everything of the
// session: the page table of its own mirror of the region (a region of the driver's space),
// the notification, the control page, the transmit pages and the receive buffers. It builds
// both page tables: in the stack's, the control and transmit pages read-write and the receive
// buffers READ-ONLY.
//
// Setup is all or nothing (issue 9, attack 5). Everything is charged to the client (the
// session bank's usage counts up the client's chain, within the client's limits), nothing to
// the driver's bank. If any step fails (a bank that is not one, a limit the client set
// just short, a void or foreign region, the client's bank destroyed meanwhile), the driver
// destroys the session bank: the kernel rescinds all that was allocated from it, the mirror
// region included (its PDE in the driver's space is cleared and its table freed), and the
// driver gives back the slots and the mirror index it took, exactly as they were. The driver
// keeps nothing of a failed OPEN. The stack's own region stays as setup left it (claimed, if
// setup got that far, and emptied) and paid by the client: the client's state, not the driver's.

import type { GuestCode, Received, Right } from '../kernel/api/context.js';
import { CONTROL_PAGE, checkGeometry, INFO_IP, INFO_MAC_HI, INFO_MAC_LO, INFO_RING_SIZE, INFO_RX_BUFFERS, INFO_TX_PAGES, PAGE_BYTES, REGION_BYTES, rxPage, txPage, type Geometry } from '../session/layout.js';
import { LABEL_REPLY, OPEN_STATUS, type OpenStatus } from '../session/protocol.js';
import { MIRROR_BASE, SLOT_RECV_A, SLOT_RECV_B, SLOT_REPLY, SLOT_SPACE } from './config.js';
import type { Driver } from './driver.js';
import { Session, sessionBankFrames, sessionSlots, slotCount } from './session.js';

const RW: readonly Right[] = Object.freeze(['read', 'write']);
const RO: readonly Right[] = Object.freeze(['read']);
const DESTROY: readonly Right[] = Object.freeze(['destroy']);

export function* openSession(d: Driver, m: Received): GuestCode {
  const status = yield* setup(d, m);
  if (typeof status === 'string') {
    yield* d.ctx.reply({ label: LABEL_REPLY, words: [OPEN_STATUS.indexOf(status)] });
    return;
  }
  d.counters.sessionsOpened++;
  const s = status;
  const ok = (yield* d.ctx.invoke(s.slots.notification, 'copy', { dst: SLOT_REPLY, rights: RO })).ok;
  yield* d.ctx.reply({ label: LABEL_REPLY, words: [0, s.id, s.ip], caps: ok ? [SLOT_REPLY] : [] });
  yield* d.ctx.invoke(SLOT_REPLY, 'drop', {});
}

function* setup(d: Driver, m: Received): GuestCode<Session | OpenStatus> {
  const [ringSize, txPages, rxBuffers, regionVa] = m.words;
  const address = d.config.addresses.find((a) => a.badge === m.badge);
  if (!address || m.badge === 0) return 'no-address';
  if (d.byIp.has(address.ip) || d.sessions.length >= d.limits.maxSessions) return 'too-many';
  const g: Geometry = { ringSize: ringSize ?? 0, txPages: txPages ?? 0, rxBuffers: rxBuffers ?? 0 };
  if (checkGeometry(g, REGION_BYTES / PAGE_BYTES) || g.txPages > d.limits.maxTxPages || g.rxBuffers > d.limits.maxRxBuffers) return 'bad-geometry';
  if (regionVa === undefined || regionVa % REGION_BYTES !== 0 || m.caps.length < 2) return 'bad-geometry';
  const all = d.slots.take(slotCount(g));
  if (!all) return 'no-slots';
  const mirrorIndex = d.mirrorFree.pop();
  if (mirrorIndex === undefined) {
    d.slots.give(all);
    return 'too-many';
  }
  const sl = sessionSlots(g, all);
  const mirrorVa = MIRROR_BASE + mirrorIndex * REGION_BYTES;
  const ctx = d.ctx;
  const abandon = d.config.unsafe?.abandonFailedSetups === true;
  const fail = function* (): GuestCode<OpenStatus> {
    yield* d.release(sl.bank, all, mirrorIndex);
    return 'setup-failed';
  };
  // The session bank: the client pays (its opaque bank is the parent); the driver keeps the one right it needs, to destroy it.
  const sessionBank: [number, string, object][] = abandon
    ? [[SLOT_RECV_A, 'copy', { dst: sl.bank }]]
    : [[SLOT_RECV_A, 'allocBank', { dst: sl.bank, limit: sessionBankFrames(g, d.pinLimit), pinLimit: d.pinLimit }], [sl.bank, 'copy', { dst: sl.bank, rights: DESTROY }]];
  const steps: [number, string, object][] = [
    ...sessionBank,
    // Claim the stack's region before building in it: any copy the stack kept goes void (kernel `claim`).
    [SLOT_RECV_B, d.config.unsafe?.leaveRegionsUnclaimed ? 'copy' : 'claim', { dst: sl.region }],
    [SLOT_SPACE, 'delegate', { va: mirrorVa, bank: sl.bank, dst: sl.mirror }],
    [sl.bank, 'allocNotification', { dst: sl.notification }],
    ...[sl.control, ...sl.tx, ...sl.rx].map((dst): [number, string, object] => [sl.bank, 'allocPage', { dst }]),
  ];
  const maps: [number, number, readonly Right[], readonly Right[]][] = [
    [CONTROL_PAGE, sl.control, RW, RW],
    ...sl.tx.map((slot, i): [number, number, readonly Right[], readonly Right[]] => [txPage(i), slot, RO, RW]),
    ...sl.rx.map((slot, i): [number, number, readonly Right[], readonly Right[]] => [rxPage(g, i), slot, RW, d.config.unsafe?.writableRxBuffers ? RW : RO]),
  ];
  for (const [page, slot, mirrorRights, stackRights] of maps) {
    steps.push([sl.mirror, 'map', { va: mirrorVa + page * PAGE_BYTES, page: slot, rights: mirrorRights }]);
    steps.push([sl.region, 'map', { va: regionVa + page * PAGE_BYTES, page: slot, rights: stackRights }]);
  }
  for (const [slot, op, args] of steps) {
    const r = yield* ctx.invoke(slot, op as 'copy', args as never);
    if (!r.ok) {
      // The old failure path only (a test switch): a mirror index still delegated by an abandoned setup fails here, and a good index is dropped in its place.
      if (abandon && op === 'delegate' && (r.error === 'delegated' || r.error === 'busy')) d.mirrorFree.pop();
      return yield* fail();
    }
  }
  const s = new Session(ctx, d.nextId, m.badge, address.ip, g, regionVa, mirrorVa, mirrorIndex, sl, all);
  const base = s.mirrorPageVa(CONTROL_PAGE);
  const info: [number, number][] = [
    [INFO_IP, s.ip],
    [INFO_MAC_LO, d.mac[0]! | (d.mac[1]! << 8) | (d.mac[2]! << 16) | (d.mac[3]! << 24)],
    [INFO_MAC_HI, d.mac[4]! | (d.mac[5]! << 8)],
    [INFO_RING_SIZE, g.ringSize],
    [INFO_TX_PAGES, g.txPages],
    [INFO_RX_BUFFERS, g.rxBuffers],
  ];
  try {
    for (const [off, v] of info) yield* ctx.store32(base + off, v);
  } catch (e) {
    if (!ctx.isFault(e)) throw e;
    return yield* fail();
  }
  // Only now does the driver keep anything of the session.
  d.nextId++;
  d.sessions.push(s);
  d.byIp.set(s.ip, s);
  return s;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ openSession });
