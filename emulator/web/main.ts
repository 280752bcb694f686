// The page entry: runs the boot scenario (the same one `reloaded run` runs) in the browser
// tab from the URL's parameters (seed, millis, strategy, mode, clients) and shows its report.
// The report object is also left on `window.reloadedReport` so a headless browser test can
// compare it, and its trace hash, with node's.

import '../machine/realm-hardened.js';
import { BOOT_DEFAULTS, MAX_MILLIS, MODES, runBootScenario, STRATEGIES, type BootReport } from '../cli/scenario/boot.js';
import { MAX_CLIENTS } from '../cli/scenario/net.js';
import { formatBootReport } from '../cli/scenario/text.js';
import { mountX86Panel } from './x86/panel.js';

declare global {
  interface Window {
    reloadedReport?: BootReport | { error: string };
  }
}

const params = new URLSearchParams(location.search);

function integerParam(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`URL parameter ${name}=${raw}: expected an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}`);
  }
  return n;
}

function millisParam(): number {
  const raw = params.get('millis');
  if (raw === null) return BOOT_DEFAULTS.millis;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_MILLIS) throw new Error(`URL parameter millis=${raw}: expected a number of milliseconds in (0, ${MAX_MILLIS}]`);
  return n;
}

function choiceParam<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = params.get(name);
  if (raw === null) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`URL parameter ${name}=${raw}: expected one of ${choices.join(', ')}`);
  return raw as T;
}

function setField(name: string, value: string | number): void {
  const form = document.getElementById('controls') as HTMLFormElement;
  (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value = String(value);
}

function main(): void {
  const status = document.getElementById('status')!;
  try {
    const options = {
      seed: integerParam('seed', BOOT_DEFAULTS.seed, 0),
      millis: millisParam(),
      strategy: choiceParam('strategy', STRATEGIES, BOOT_DEFAULTS.strategy),
      mode: choiceParam('mode', MODES, BOOT_DEFAULTS.mode),
      clients: integerParam('clients', BOOT_DEFAULTS.clients, 1, MAX_CLIENTS),
    };
    for (const [k, v] of Object.entries(options)) setField(k, v);
    const report = runBootScenario(options);
    document.getElementById('report')!.textContent = formatBootReport(report);
    document.getElementById('hash')!.textContent = report.trace.hash;
    window.reloadedReport = report;
    status.textContent = report.problems.length === 0 ? 'done' : `done: ${report.problems.length} problem(s), see the report`;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    window.reloadedReport = { error };
    status.textContent = `error: ${error}`;
  }
}

main();
mountX86Panel(document.getElementById('x86-panel')!);
