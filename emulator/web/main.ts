// The page's tab side: the controls and the views. The machine runs in the worker (worker.ts)
// with the same code as node; this bundle holds none of it, only what it takes to ask the
// worker for things and draw what it says. The URL's parameters (seed, millis, strategy, mode,
// clients, spare, link, revoke, join, hostile, paused) set the first run, so a link
// reproduces a run. What the page
// last drew is also left on `window.reloaded` for the headless browser test.

import { BOOT_DEFAULTS, LINK_SPEEDS, MAX_CLIENTS, MAX_MILLIS, MODES, STRATEGIES } from '../cli/scenario/defaults.js';
import { formatBootReport } from '../cli/scenario/text.js';
import type { BootReport } from '../cli/scenario/boot-report.js';
import type { AttackChoice, Command, RunConfig, Snapshot, Update } from './protocol.js';
import { CardPanel } from './view/card.js';
import { ChartsView } from './view/charts.js';
import { el, n, Tooltip } from './view/dom.js';
import { DomainsView } from './view/domains.js';
import { FrameMapView } from './view/frame-map.js';
import { PacketsView } from './view/packets.js';
import { TimelineView } from './view/timeline.js';
import { mountX86Panel } from './x86/panel.js';

/** What the page shows, for a test to read. */
export interface PageState {
  snapshot: Snapshot | undefined;
  report: BootReport | undefined;
  errors: string[];
  /** Host milliseconds from the page's start to the first snapshot with a frame delivered to a client. */
  firstDeliveryMs: number | undefined;
  packetsShown: number;
  /** The colour a frame's cell is drawn with now. */
  colourOf(frame: number): string | undefined;
  /** The frames outlined on the map, and the cycle marked on the timeline (a replay's culprit). */
  highlighted(): number[];
  timelineMark(): number | undefined;
  send(c: Command): void;
}

declare global {
  interface Window {
    reloaded: PageState;
    reloadedReport?: BootReport | { error: string };
  }
}

/** Speeds offered: emulated cycles per update. */
const SPEEDS: readonly [string, number][] = [['1 µs', 133], ['10 µs', 1_330], ['100 µs', 13_300], ['1 ms', 133_000], ['10 ms', 1_330_000]];
const DEFAULT_SPEED = 13_300;
/** The timeline's zoom level (view/timeline.ts ZOOMS) once a replay's culprit is known: 2,660 cycles. */
const ZOOM_ON_CULPRIT = 4;

class UrlError extends Error {}

const params = new URLSearchParams(location.search);

function integerParam(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UrlError(`URL parameter ${name}=${raw}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}`);
  }
  return v;
}

function millisParam(): number {
  const raw = params.get('millis');
  if (raw === null) return BOOT_DEFAULTS.millis;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0 || v > MAX_MILLIS) throw new UrlError(`URL parameter millis=${raw}: expected a number of milliseconds in (0, ${MAX_MILLIS}]`);
  return v;
}

function choiceParam<T extends string | number>(name: string, choices: readonly T[], fallback: T): T {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const found = choices.find((c) => String(c) === raw);
  if (found === undefined) throw new UrlError(`URL parameter ${name}=${raw}: expected one of ${choices.join(', ')}`);
  return found;
}

/** revoke=none, or revoke=K@CYCLE,K@CYCLE (as `reloaded run --revoke`). */
function revokeParam(): RunConfig['revokes'] {
  const raw = params.get('revoke');
  if (raw === null) return undefined;
  if (raw === 'none') return [];
  return raw.split(',').map((part) => {
    const m = /^(\d+)@(\d+)$/.exec(part);
    if (!m) throw new UrlError(`URL parameter revoke=${raw}: expected 'none' or CLIENT@CYCLE[,CLIENT@CYCLE...]`);
    return { client: Number(m[1]), cycle: Number(m[2]) };
  });
}

/** A list of CLIENT<sep>VALUE items (join=3@400000, hostile=3:spin), as the CLI's flags take them. */
function pairsParam<T>(name: string, pattern: RegExp, form: string, make: (client: number, value: string) => T): T[] | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  return raw.split(',').map((part) => {
    const m = pattern.exec(part);
    if (!m) throw new UrlError(`URL parameter ${name}=${raw}: expected ${form}[,${form}...]`);
    return make(Number(m[1]), m[2]!);
  });
}

function configFromUrl(): RunConfig {
  const spare = integerParam('spare', 0, 0, MAX_CLIENTS - 1);
  return {
    spare,
    joins: pairsParam('join', /^(\d+)@(\d+)$/, 'CLIENT@CYCLE', (client, v) => ({ client, cycle: Number(v) })),
    hostile: pairsParam('hostile', /^(\d+):([a-z-]+)$/, 'CLIENT:ATTACK', (client, attack) => ({ client, attack })),
    seed: integerParam('seed', BOOT_DEFAULTS.seed, 0),
    millis: millisParam(),
    strategy: choiceParam('strategy', STRATEGIES, BOOT_DEFAULTS.strategy),
    mode: choiceParam('mode', MODES, BOOT_DEFAULTS.mode),
    clients: integerParam('clients', BOOT_DEFAULTS.clients, 1, MAX_CLIENTS) + spare,
    link: choiceParam('link', LINK_SPEEDS, 100),
    revokes: revokeParam(),
  };
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const field = (name: string) => ($<HTMLFormElement>('config').elements.namedItem(name) as HTMLInputElement | HTMLSelectElement);

function options(select: HTMLSelectElement, values: readonly (string | number)[], chosen: string | number): void {
  select.replaceChildren(...values.map((v) => el('option', { value: String(v) }, String(v))));
  select.value = String(chosen);
}

function main(): void {
  const started = performance.now();
  const tooltip = new Tooltip();
  const worker = new Worker('./worker.js', { type: 'module' });
  const send = (c: Command) => worker.postMessage(c);
  const status = $('status');
  const frameMap = new FrameMapView($('view-frames'), (frame) => send({ kind: 'inspect', frame }), tooltip);
  const timeline = new TimelineView($('view-timeline'), tooltip);
  const domains = new DomainsView($('view-domains'));
  const card = new CardPanel($('view-card'));
  const packets = new PacketsView($('view-packets'));
  const charts = new ChartsView($('view-charts'));
  mountX86Panel($('x86-panel'));
  timeline.onHoverFrame = (f) => {
    if (frameMap.highlighted.size === 1 && frameMap.highlighted.has(f)) return;
    frameMap.highlighted = new Set([f]);
    frameMap.redraw();
  };

  const state: PageState = {
    snapshot: undefined, report: undefined, errors: [], firstDeliveryMs: undefined, packetsShown: 0,
    colourOf: (f) => frameMap.colourOf(f),
    highlighted: () => [...frameMap.highlighted],
    timelineMark: () => timeline.mark,
    send,
  };
  window.reloaded = state;

  const clearViews = () => {
    state.snapshot = undefined;
    state.report = undefined;
    state.firstDeliveryMs = undefined;
    window.reloadedReport = undefined;
    timeline.clear();
    packets.clear();
    charts.clear();
    frameMap.highlighted = new Set();
    $('report').textContent = '';
  };
  const start = (c: RunConfig, run: boolean) => {
    clearViews();
    const spare = c.spare ?? 0;
    for (const k of ['seed', 'millis', 'strategy', 'mode', 'link'] as const) field(k).value = String(c[k]);
    field('clients').value = String(c.clients - spare);
    field('spare').value = String(spare);
    send({ kind: 'start', config: c });
    if (run) send({ kind: 'run' });
  };

  worker.onmessage = (e: MessageEvent<Update>) => {
    const u = e.data;
    if (u.kind === 'error') {
      state.errors.push(u.message);
      status.textContent = `error: ${u.message}`;
      if (!state.snapshot) window.reloadedReport = { error: u.message };
      return;
    }
    if (u.kind === 'frame') return frameMap.showDetail(u.detail, frameMap.pointer.x, frameMap.pointer.y);
    if (u.kind === 'catalogue') {
      attacks = u.attacks;
      options($<HTMLSelectElement>('attack'), attacks.map((a) => a.name), attacks[0]?.name ?? '');
      return describeAttack();
    }
    state.snapshot = u;
    const r = u.run;
    if (state.firstDeliveryMs === undefined && r.delivered > 0) state.firstDeliveryMs = performance.now() - started;
    if (u.replay?.culprit) frameMap.highlighted = new Set(u.replay.culprit.frames);
    frameMap.update(u);
    timeline.cpuHz = r.cpuHz;
    timeline.add(u.spans, r.cycle);
    domains.update(u.domains, u.sessions);
    card.update(u.card);
    packets.add(u.packets);
    state.packetsShown = packets.count;
    charts.add(u.points, r.cpuHz, u.sessions.length);
    $('cycle').textContent = `cycle ${n(r.cycle)} of ${n(r.end)} (${((r.cycle * 1000) / r.cpuHz).toFixed(3)} of ${((r.end * 1000) / r.cpuHz).toFixed(1)} emulated ms)`;
    $('hash').textContent = r.hash;
    $('command').textContent = r.command;
    $('violations').textContent = r.violations.length === 0 ? 'none' : r.violations.join('\n');
    const clients = $<HTMLSelectElement>('revoke-client');
    if (clients.options.length !== u.sessions.length) options(clients, u.sessions.map((s) => s.client), clients.value || 1);
    showReplay(u);
    if (u.report) {
      state.report = u.report;
      window.reloadedReport = u.report;
      $('report').textContent = formatBootReport(u.report);
      status.textContent = u.report.problems.length === 0 ? 'done' : `done: ${u.report.problems.length} problem(s), see the report`;
    } else if (u.replay?.violation) {
      status.textContent = `stopped at its violation (cycle ${n(u.replay.violation.cycle)})`;
    } else {
      status.textContent = r.done ? 'done' : r.running ? 'running' : 'paused';
    }
  };
  /** A replay's violation: the panel, and the culprit outlined on the map and the timeline (the timeline centred on it, once). */
  let centred = false;
  const showReplay = (u: Snapshot) => {
    const rp = u.replay;
    $('view-replay').hidden = rp === undefined;
    if (!rp) return;
    $('replay-what').textContent = `${rp.what}${rp.outcome ? `; the run ended: ${rp.outcome}` : ''}`;
    $('replay-violation').textContent = rp.violation ? `violation at cycle ${n(rp.violation.cycle)}:\n${rp.violation.messages.map((m) => `  ${m}`).join('\n')}` : 'no violation yet';
    $('replay-culprit').textContent = rp.culprit ? `the culprit, outlined on the frame map and the timeline: ${rp.culprit.text}` : '';
    $('replay-recent').textContent = rp.recent.map((e) => `${e.cycle === e.to ? n(e.cycle) : `${n(e.cycle)}-${n(e.to)}`}  ${e.text}`).join('\n');
    const c = rp.culprit;
    if (!c) return;
    timeline.markedFrames = new Set(c.frames);
    timeline.mark = c.beat?.cycle ?? c.moment;
    if (!centred) {
      centred = true;
      timeline.setZoom(ZOOM_ON_CULPRIT);
      timeline.centreOn(timeline.mark);
    }
  };
  $<HTMLFormElement>('replay-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearViews();
    centred = false;
    send({ kind: 'replay', line: $<HTMLInputElement>('replay-line').value });
  });

  worker.onerror = (e) => {
    state.errors.push(`worker: ${e.message}`);
    status.textContent = `error: the worker failed: ${e.message}`;
  };

  options(field('strategy') as HTMLSelectElement, STRATEGIES, BOOT_DEFAULTS.strategy);
  options(field('mode') as HTMLSelectElement, MODES, BOOT_DEFAULTS.mode);
  options(field('link') as HTMLSelectElement, LINK_SPEEDS, 100);
  options($<HTMLSelectElement>('speed'), SPEEDS.map(([label]) => label), '100 µs');
  const readConfig = (): RunConfig => {
    const spare = Number(field('spare').value);
    return {
      seed: Number(field('seed').value), millis: Number(field('millis').value), strategy: field('strategy').value as RunConfig['strategy'],
      mode: field('mode').value as RunConfig['mode'], clients: Number(field('clients').value) + spare, spare, link: Number(field('link').value), revokes: undefined,
    };
  };
  $<HTMLFormElement>('config').addEventListener('submit', (e) => {
    e.preventDefault();
    start(readConfig(), true);
  });
  let attacks: AttackChoice[] = [];
  const describeAttack = () => {
    const a = attacks.find((x) => x.name === $<HTMLSelectElement>('attack').value);
    $('attack-summary').textContent = a ? `${a.summary} (${a.threat})` : '';
  };
  $('attack').addEventListener('change', describeAttack);
  /**
   * One more client from this cycle on: a spare joins the running machine; otherwise (and for
   * a hostile stack, which must be declared at boot) the machine is rebuilt with the client
   * declared, joining at this cycle, and replayed to it (a run is a pure function of its
   * config: the rebuilt run is `reloaded run` with that --join).
   */
  const addClient = (attack?: string) => {
    const s = state.snapshot;
    const current = s?.run.config;
    if (!s || !current) return;
    if (!attack && s.run.waiting.length > 0) return send({ kind: 'join' });
    if (current.clients >= MAX_CLIENTS) {
      status.textContent = `error: there are ${MAX_CLIENTS} clients already, the most the driver serves`;
      return;
    }
    const client = current.clients + 1;
    const at = s.run.cycle;
    const next: RunConfig = {
      ...current, clients: client,
      joins: [...(current.joins ?? []), { client, cycle: at }],
      hostile: attack ? [...(current.hostile ?? []), { client, attack }] : current.hostile,
    };
    start(next, false);
    status.textContent = `rebuilding with client ${client}${attack ? ` (hostile: ${attack})` : ''} joining at cycle ${n(at)}: replaying to it`;
    send({ kind: 'step', cycles: at });
    send({ kind: 'run' });
  };
  $('add-client').addEventListener('click', () => addClient());
  $('add-hostile').addEventListener('click', () => addClient($<HTMLSelectElement>('attack').value));
  $('run').addEventListener('click', () => send({ kind: 'run' }));
  $('pause').addEventListener('click', () => send({ kind: 'pause' }));
  $('step').addEventListener('click', () => send({ kind: 'step', cycles: Number($<HTMLInputElement>('step-cycles').value) }));
  $('speed').addEventListener('change', () => send({ kind: 'speed', cyclesPerUpdate: SPEEDS.find(([label]) => label === $<HTMLSelectElement>('speed').value)![1] }));
  $('revoke-now').addEventListener('click', () => send({ kind: 'revoke', client: Number($<HTMLSelectElement>('revoke-client').value) }));
  $('revoke-at').addEventListener('click', () => send({ kind: 'revoke', client: Number($<HTMLSelectElement>('revoke-client').value), cycle: Number($<HTMLInputElement>('revoke-cycle').value) }));

  try {
    const c = configFromUrl();
    send({ kind: 'speed', cyclesPerUpdate: DEFAULT_SPEED });
    start(c, params.get('paused') !== '1');
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    window.reloadedReport = { error };
    status.textContent = `error: ${error}`;
  }
}

main();
