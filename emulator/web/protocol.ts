// What the page and its worker say to each other. The worker runs the machine (live/) and
// streams what the views need as plain, structured-clonable data; the page sends commands.
// Nothing here carries an object of the simulation: the page never holds a reference into
// the machine, so it can only look, through these messages, and act through commands the
// worker checks.

import type { BootReport } from '../cli/scenario/boot-report.js';
import type { CardMode, Strategy } from '../../guest/netdriver/config.js';

/** The run the page asks for: the options of `reloaded run` it offers. */
export interface RunConfig {
  seed: number;
  millis: number;
  strategy: Strategy;
  mode: CardMode;
  clients: number;
  /** Mbit/s: 10 or 100. */
  link: number;
  /** Who destroys their bank when (client 1-based, emulated cycle); undefined: `reloaded run`'s default, client 1 mid-run. */
  revokes?: { client: number; cycle: number }[];
  /** Clients there from boot whose stacks start at a later cycle (`--join`). */
  joins?: { client: number; cycle: number }[];
  /** How many of the last clients are spares: they join at the end of the run, or when the page adds a client (a join at that cycle). */
  spare?: number;
  /** Clients that run an attack of the red-team catalogue instead of the honest stack (`--hostile`). */
  hostile?: { client: number; attack: string }[];
}

/** An attack of the red-team catalogue (guest/hostile/attacks.ts), as the page offers it. */
export interface AttackChoice {
  name: string;
  summary: string;
  threat: string;
}

export type Command =
  /** Build a new run from `config`, stopped at cycle 0. */
  | { kind: 'start'; config: RunConfig }
  | { kind: 'run' }
  | { kind: 'pause' }
  /** Run exactly `cycles` more cycles, then stop. */
  | { kind: 'step'; cycles: number }
  /** Emulated cycles per update while running. */
  | { kind: 'speed'; cyclesPerUpdate: number }
  /** Client `client` destroys its bank now (cycle undefined) or at `cycle`. */
  | { kind: 'revoke'; client: number; cycle?: number }
  /** The first client waiting to join starts now. */
  | { kind: 'join' }
  /** What the frame map's cell `frame` is, in detail. */
  | { kind: 'inspect'; frame: number }
  /** Replay, running, the run a `reloaded explore` replay line names; it stops itself at its first violation. */
  | { kind: 'replay'; line: string };

/** A frame's state in the frame map: the kernel's frame table, plus the card's pins and the PTEs. */
export const FRAME_FREE = 0;
export const FRAME_FREE_DIRTY = 1;
export const FRAME_KERNEL = 2;
export const FRAME_ALLOCATED = 3;
export const FRAME_QUARANTINED = 4;
export const FRAME_STATE_MASK = 7;
/** Flag bits beside the state. */
export const FRAME_PINNED = 8;
export const FRAME_MAPPED = 16;

/** Owner indices: 0 nobody, 1 the kernel (the prime bank), 2 the driver, 3 + k client k + 1. */
export const OWNER_NONE = 0;
export const OWNER_KERNEL = 1;
export const OWNER_DRIVER = 2;
export const OWNER_FIRST_CLIENT = 3;

export interface FrameMap {
  /** Per frame: a FRAME_* state with its flags. */
  state: Uint8Array;
  /** Per frame: whose bank pays for it (OWNER_*). */
  owner: Uint8Array;
}

export interface FrameDetail {
  frame: number;
  /** The frame's state, owner and role in words (the explorer's names). */
  text: string;
  pinCount: number;
  /** The PTEs that map it (at most snapshot.ts MAPPINGS_SHOWN): whose space, where, with which rights. */
  mappings: { space: string; va: number; rights: 'rw' | 'ro' }[];
  /** How many PTEs map it in all (more than `mappings` lists when a domain mapped it many times). */
  mappingCount: number;
}

export interface CapabilityView {
  slot: number;
  kind: string;
  rights: string[];
  badge: number;
}

export interface DomainView {
  id: number;
  name: string;
  priority: number;
  state: string;
  /** CPU cycles its thread ran. */
  cycles: number;
  /** Whose bank it is charged to (a client, the driver, the kernel). */
  bank: string;
  caps: CapabilityView[];
  /** Its counters, as plain numbers (a stack's are read as plain data: its own code keeps them). */
  counters: Record<string, number>;
}

export interface SessionView {
  client: number;
  ip: string;
  /** open, opening, revoked, or why it failed. */
  status: string;
  bankUsage: number;
  bankLimit: number;
  delivered: number;
  transmitted: number;
  dropped: number;
  rejected: number;
  pinned: number;
}

export interface DescriptorView {
  index: number;
  addr: number;
  ctrl: number;
  status: number;
  /** The OWN bit: the card's, when set. */
  own: boolean;
  /** The card's next descriptor of this ring (its head). */
  head: boolean;
}

export interface CardView {
  mode: CardMode;
  /** The NE2000 page-0 registers that matter, by name. */
  regs: Record<string, number>;
  /** The bus-master registers. */
  bm: Record<string, number>;
  rx: DescriptorView[];
  tx: DescriptorView[];
  totals: { received: number; transmitted: number; missed: number };
}

/** Timeline lanes: the card's DMA, each domain's CPU accesses, the kernel's, kernel operations, interrupts. */
export interface Span {
  from: number;
  to: number;
  lane: string;
  /** What, in words (hover). */
  text: string;
  /** The frame touched (-1: none). */
  frame: number;
  write: boolean;
  /** Accesses or beats coalesced, and their bytes. */
  count: number;
  bytes: number;
}

export interface PacketView {
  cycle: number;
  /** to-card or from-card. */
  direction: 'in' | 'out';
  length: number;
  summary: string;
}

/** One point of the charts, at a fixed emulated interval: per client wire bytes and driver drops in that interval. */
export interface SeriesPoint {
  cycle: number;
  bytes: number[];
  drops: number[];
}

export interface RunView {
  cycle: number;
  end: number;
  cpuHz: number;
  running: boolean;
  done: boolean;
  hash: string;
  records: number;
  /** The `reloaded run` line that makes this very run in node (same trace hash). */
  command: string;
  /** The run's config as it stands: every revocation, join and attack spelled out (undefined for a replay). */
  config: RunConfig | undefined;
  /** Invariant violations seen so far (first cycle each). */
  violations: string[];
  /** Driver deliveries so far. */
  delivered: number;
  /** Clients declared to join later that have not yet (the next "add a client" starts the first). */
  waiting: number[];
}

/** A replay's state: what it is, and once a check has seen a violation, the violation and its culprit. */
export interface ReplayView {
  /** The line as pasted, and what it names in words. */
  line: string;
  what: string;
  violation: { cycle: number; messages: string[] } | undefined;
  culprit: CulpritView | undefined;
  /** The latest events in words, up to the violation. */
  recent: { cycle: number; to: number; text: string }[];
  /** How the run ended (the scenario's outcome), once it has. */
  outcome: string | undefined;
}

/** What to highlight: the moment (a red line on the timeline), the frames (outlined on the map), and the offending beat or access. */
export interface CulpritView {
  moment: number;
  frames: number[];
  text: string;
  /** The card's beat that landed where it must not, when the violation is a DMA one. */
  beat: { cycle: number; frame: number; bus: number | undefined; write: boolean; length: number | undefined } | undefined;
}

export interface Snapshot {
  kind: 'snapshot';
  /** Set while the worker runs a replay line instead of a boot run. */
  replay: ReplayView | undefined;
  run: RunView;
  frames: FrameMap;
  owners: string[];
  domains: DomainView[];
  sessions: SessionView[];
  card: CardView;
  /** Spans and packets since the last snapshot (the page keeps its own history). */
  spans: Span[];
  packets: PacketView[];
  points: SeriesPoint[];
  report: BootReport | undefined;
}

export type Update =
  | Snapshot
  | { kind: 'frame'; detail: FrameDetail }
  /** Sent once when the worker starts: the attacks a hostile stack may run. */
  | { kind: 'catalogue'; attacks: AttackChoice[] }
  | { kind: 'error'; message: string };
