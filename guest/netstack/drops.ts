// Why a client's TCP/IP stack dropped an inbound datagram or an outbound packet, and the
// counters it keeps per reason. Malformed input is dropped and counted, never thrown: a
// hostile peer must not be able to crash the stack, and every drop stays visible to tests
// and the CLI. Pure parsers (ipv4-input, icmp, udp) return a reason and leave the counting
// to their caller; the stateful parts (reassembly, the ARP cache) count their own drops,
// since they drop things later than the call that brought them (a timeout, an eviction).

export const STACK_DROP_REASONS = Object.freeze([
  'truncated-header', // fewer bytes than the header needs (IPv4, ICMP, UDP)
  'bad-version', // IPv4 version field not 4
  'bad-header-length', // IPv4 IHL below 5 words
  'bad-length', // a length field disagrees with the bytes present (IPv4 total length, UDP length)
  'bad-checksum', // RFC 1071 checksum does not verify (IPv4 header, ICMP, UDP)
  'bad-options', // IPv4 options malformed (an option running past the header, a length below 2)
  'bad-fragment', // fragment fields inconsistent (reserved flag set, non-final fragment not a multiple of 8 bytes, or past 64 KiB)
  'duplicate-fragment', // an exact copy of a fragment already held (the copy alone is dropped)
  'overlapping-fragments', // fragments of one datagram overlap with different bytes (the whole datagram is dropped)
  'reassembly-timeout', // a datagram's fragments did not all arrive in time
  'reassembly-memory-full', // holding the fragment would pass the bound on bytes or datagrams under reassembly
  'unknown-protocol', // an IPv4 protocol (or ICMP type) this stack does not handle
  'not-for-us', // destination address neither ours nor limited broadcast
  'bad-arp', // malformed ARP packet
  'arp-queue-full', // outbound packet beyond the bound queued for an unresolved address
  'arp-unresolved', // outbound packet dropped because its next hop never answered ARP
  'no-port', // a UDP datagram or TCP segment for a port nobody listens on (TCP answers with a RST)
  'backlog-full', // a SYN for a listener whose queue of connections not yet accepted is full
  'socket-queue-full', // a UDP datagram for a socket holding as many datagrams as it may
  'tx-queue-full', // an outbound frame beyond the bound on frames waiting for a transmit slot
] as const);
export type StackDropReason = (typeof STACK_DROP_REASONS)[number];

export type DropCounters = Record<StackDropReason, number>;

/** A new counters record, every reason at 0. */
export function newDropCounters(): DropCounters {
  return Object.fromEntries(STACK_DROP_REASONS.map((r) => [r, 0])) as DropCounters;
}

/** Count `n` drops (default one) under `reason`. */
export function countDrop(counters: DropCounters, reason: StackDropReason, n = 1): void {
  counters[reason] += n;
}

/** Every drop counted, whatever the reason. */
export function totalDrops(counters: DropCounters): number {
  return STACK_DROP_REASONS.reduce((sum, r) => sum + counters[r], 0);
}

/** Whether `x` is one of the reasons (a parser's result is a reason or a parsed value). */
export function isDropReason(x: unknown): x is StackDropReason {
  return typeof x === 'string' && (STACK_DROP_REASONS as readonly string[]).includes(x);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newDropCounters, countDrop, totalDrops, isDropReason });
