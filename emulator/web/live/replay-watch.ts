// A replay the page watches: the run a pasted `reloaded explore` replay line names
// (explore/replay-run.ts ReplayRun: the sweep's own steps, checked after every event from the
// action on), advanced a batch of cycles at a time with the page's recorder and packet log on
// its world. It stops by itself where a check sees its first violation; the snapshot then
// carries the violation and its culprit (the card's offending beat, or the frames the messages
// name) for the frame map and the timeline to highlight.

import { ReplayRun, type Culprit } from '../../cli/explore/replay-run.js';
import type { ReplayPlan } from '../../cli/explore/replay-line.js';
import { BusMasterBackend } from '../../../guest/netdriver/busmaster.js';
import type { Session } from '../../../guest/netdriver/session.js';
import type { CulpritView, FrameDetail, Snapshot } from '../protocol.js';
import { WorldWatch } from './world-watch.js';

function planWords(p: ReplayPlan): string {
  const bug = p.bug ? `, planted bug ${p.bug}` : ', no planted bug';
  if (p.kind === 'fuzz') return `fuzz seed ${p.seed}${bug}`;
  return `scenario ${p.scenario}, seed ${p.seed}${bug}: ${p.kind === 'probe' ? 'the probe run (no action)' : `the action at offset ${p.offset}`}`;
}

function culpritView(c: Culprit): CulpritView {
  if (c.kind === 'dma') {
    const b = c.beat;
    const at = b.bus === undefined ? '' : ` at bus 0x${b.bus.toString(16)}`;
    return {
      moment: c.moment, frames: [b.frame], beat: { cycle: b.cycle, frame: b.frame, bus: b.bus, write: b.write, length: b.length },
      text: `the ${b.by}'s ${b.write ? 'write' : 'read'} beat at cycle ${b.cycle}${at} into frame ${b.frame}: ${c.message}`,
    };
  }
  const a = c.access;
  const access = a ? `; the latest access to one of them: ${a.by} ${a.write ? 'wrote' : 'read'} frame ${a.frame} at cycle ${a.cycle}` : '';
  return { moment: c.moment, frames: [...c.frames], beat: undefined, text: `frames ${c.frames.length === 0 ? '(none named)' : c.frames.join(', ')} at cycle ${c.moment}${access}` };
}

export class ReplayWatch {
  private readonly replay: ReplayRun;
  private readonly watch: WorldWatch;
  private readonly sessions = new Map<number, Session>();

  constructor(private readonly line: string) {
    this.replay = ReplayRun.fromLine(line);
    this.watch = new WorldWatch(this.replay.world, () => this.sessions);
  }

  get now(): number {
    return this.replay.now;
  }

  get done(): boolean {
    return this.replay.done;
  }

  advance(cycles: number): void {
    if (this.replay.done) return;
    this.replay.runTo(Math.min(this.replay.end, this.now + cycles));
    this.watch.tick();
  }

  revoke(): never {
    throw new Error('revoke: a replay runs exactly as its line says; start a boot run to revoke');
  }

  join(): never {
    throw new Error('join: a replay runs exactly as its line says; start a boot run to add a client');
  }

  inspect(frame: number): FrameDetail {
    return this.watch.inspect(frame);
  }

  snapshot(running: boolean): Snapshot {
    const w = this.replay.world;
    for (const s of w.view.driver?.sessions ?? []) this.sessions.set(s.badge, s);
    const v = this.replay.violation;
    const c = this.replay.culprit;
    const result = this.replay.result;
    return {
      kind: 'snapshot',
      replay: {
        line: this.line.trim(), what: planWords(this.replay.plan),
        violation: v ? { cycle: v.cycle, messages: [...v.messages] } : undefined,
        culprit: c ? culpritView(c) : undefined,
        recent: this.replay.recent.map((e) => ({ cycle: e.cycle, to: e.to, text: e.text })),
        outcome: result && 'outcome' in result ? String(result.outcome) : undefined,
      },
      run: {
        ...this.watch.machine(), end: this.replay.end, running, done: this.replay.done,
        command: this.line.trim(), config: undefined,
        violations: v ? v.messages.map((m) => `cycle ${v.cycle}: ${m}`) : [],
        waiting: [],
      },
      ...this.watch.views(w.view.driver?.backend instanceof BusMasterBackend ? 'busmaster' : 'classic'),
      report: undefined,
    };
  }
}
