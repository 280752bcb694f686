// What one stack counted, as plain data the report reads (every field a number): TCP, UDP,
// ICMP and IPv4 traffic in both directions, and its drops by reason (drops.ts). The stack
// updates these in place as it works, so a reader needs to call nothing of the stack's.

import { newDropCounters, type DropCounters } from './drops.js';

export interface TcpCounters {
  /** Connections that reached ESTABLISHED: opened by this side (connect) and by the peer (accepted). */
  activeOpens: number;
  passiveOpens: number;
  /** Connections that ended by a RST, by giving up after repeated timeouts, and by an orderly close. */
  endedByReset: number;
  endedByTimeout: number;
  closed: number;
  /** Retransmission timer expiries. */
  rtoExpiries: number;
  segmentsIn: number;
  segmentsOut: number;
  /** Payload bytes delivered to applications, and accepted from them. */
  bytesIn: number;
  bytesOut: number;
  /** Segments sent again: after a retransmission timeout, and by fast retransmit. */
  retransmissions: number;
  fastRetransmits: number;
  /** RSTs this stack sent for segments that found no connection. */
  resetsSent: number;
  /** TIME-WAIT entries given up early to make room for a new connection. */
  timeWaitRecycled: number;
}

export interface UdpCounters {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface IcmpCounters {
  echoRequestsIn: number;
  echoRepliesOut: number;
  echoRequestsOut: number;
  echoRepliesIn: number;
}

export interface IpCounters {
  /** Frames taken in and handed out, datagrams reassembled from fragments, fragments sent. */
  framesIn: number;
  framesOut: number;
  reassembled: number;
  fragmentsOut: number;
  arpRequestsOut: number;
  arpRepliesOut: number;
}

export interface StackCounters {
  tcp: TcpCounters;
  udp: UdpCounters;
  icmp: IcmpCounters;
  ip: IpCounters;
  drops: DropCounters;
}

export function newStackCounters(): StackCounters {
  return {
    tcp: { activeOpens: 0, passiveOpens: 0, endedByReset: 0, endedByTimeout: 0, closed: 0, rtoExpiries: 0, segmentsIn: 0, segmentsOut: 0, bytesIn: 0, bytesOut: 0, retransmissions: 0, fastRetransmits: 0, resetsSent: 0, timeWaitRecycled: 0 },
    udp: { datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0 },
    icmp: { echoRequestsIn: 0, echoRepliesOut: 0, echoRequestsOut: 0, echoRepliesIn: 0 },
    ip: { framesIn: 0, framesOut: 0, reassembled: 0, fragmentsOut: 0, arpRequestsOut: 0, arpRepliesOut: 0 },
    drops: newDropCounters(),
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newStackCounters });
