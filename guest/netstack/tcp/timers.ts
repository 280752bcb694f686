// The clock reaches a cycle (RFC 9293 §3.8): TIME-WAIT ends, the delayed ACK goes, the
// persist timer probes a closed window, and the retransmission timer (RFC 6298 §5) backs off
// and goes back to SND.UNA, giving the connection up after too many expiries in a row.

import { earliest } from '../due.js';
import { onRetransmitTimeout } from './congestion.js';
import { probe, pump } from './output.js';
import { rtoOnTimeout } from './rto.js';
import { abort, DEFAULT_MAX_TIMEOUTS, type Tcb } from './tcb.js';

/** The clock reached `now`: TIME-WAIT, the delayed ACK, the persist and the retransmission timers expire. */
export function tick(t: Tcb, now: number): void {
  if (t.timeWaitDeadline !== undefined && now >= t.timeWaitDeadline) {
    t.timeWaitDeadline = undefined;
    t.state = 'CLOSED';
    return;
  }
  if (t.ackDeadline !== undefined && now >= t.ackDeadline) {
    t.ackDeadline = undefined;
    t.ackNow = true;
    pump(t, now);
  }
  if (t.persistDeadline !== undefined && now >= t.persistDeadline) probe(t, now);
  if (t.rtxDeadline === undefined || now < t.rtxDeadline) return;
  t.rtxDeadline = undefined;
  t.counts.timeouts++;
  if (++t.timeoutsInARow > (t.p.maxTimeouts ?? DEFAULT_MAX_TIMEOUTS)) {
    abort(t, 'timeout');
    return;
  }
  // RFC 6298 §5.4-5.6: back off and retransmit from SND.UNA; RFC 5681 §3.1: cwnd to one segment.
  t.rto = rtoOnTimeout(t.rto, t.p.rto);
  if (t.cc) t.cc = onRetransmitTimeout(t.cc, t.sndUna, t.sndMax);
  t.sndNxt = t.sndUna;
  pump(t, now);
}

/** The earliest cycle at which tick() has something to do, or undefined. */
export function deadline(t: Tcb): number | undefined {
  return earliest([t.rtxDeadline, t.timeWaitDeadline, t.ackDeadline, t.persistDeadline]);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ tick, deadline });
