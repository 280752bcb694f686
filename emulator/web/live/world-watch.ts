// What the page's two kinds of run share (live-run.ts, a boot run; replay-watch.ts, a replay
// line's run): the read-only watchers on a world (the timeline's recorder, the packet log with
// the charts' points, the explorer's names for a frame's detail) and the views every snapshot
// carries, read from that world.

import { WorldNames } from '../../cli/explore/names.js';
import type { Net } from '../../cli/scenario/net.js';
import type { CardMode } from '../../../guest/netdriver/config.js';
import type { Session } from '../../../guest/netdriver/session.js';
import type { StackProbe } from '../../../guest/netstack/domain.js';
import type { FrameDetail, RunView, Snapshot } from '../protocol.js';
import { PacketLog, POINT_SECONDS } from './packets.js';
import { Recorder } from './recorder.js';
import { cardView, domainViews, dropsBy, frameDetail, frameMap, ownerNames, sessionViews } from './snapshot.js';

export type WorldViews = Pick<Snapshot, 'frames' | 'owners' | 'domains' | 'sessions' | 'card' | 'spans' | 'packets' | 'points'>;

export class WorldWatch {
  private readonly names: WorldNames;
  private readonly recorder: Recorder;
  private readonly packets: PacketLog;

  /** `sessions`: every session the driver has served so far, by badge (kept after the driver drops it). */
  constructor(private readonly net: Net, private readonly sessions: () => ReadonlyMap<number, Session>) {
    this.recorder = new Recorder(net);
    this.names = new WorldNames(net);
    this.packets = new PacketLog(net.wire, net.clients.length, Math.round(POINT_SECONDS * net.machine.config.cpuHz), () => dropsBy(net, sessions()));
  }

  /** Close the charts' intervals that ended by now (after each advance). */
  tick(): void {
    this.packets.tick(this.net.machine.now);
  }

  inspect(frame: number): FrameDetail {
    return frameDetail(this.net, this.names, frame);
  }

  /** The machine's part of the run view: where it is, its trace, the driver's deliveries. */
  machine(): Pick<RunView, 'cycle' | 'cpuHz' | 'hash' | 'records' | 'delivered'> {
    const m = this.net.machine;
    return { cycle: m.now, cpuHz: m.config.cpuHz, hash: m.trace.hash(), records: m.trace.count, delivered: this.net.view.driver?.counters.delivered ?? 0 };
  }

  /** The views, and what the watchers saw since the last call. `status`, `probes`: as sessionViews and domainViews take them. */
  views(mode: CardMode, o: { probes?: readonly (StackProbe | undefined)[]; status?: (client: number) => string } = {}): WorldViews {
    const net = this.net;
    return {
      frames: frameMap(net),
      owners: ownerNames(net),
      domains: domainViews(net, this.names, o.probes),
      sessions: sessionViews(net, this.sessions(), o.status),
      card: cardView(net, mode),
      spans: this.recorder.take(),
      ...this.packets.take(),
    };
  }
}
