// The boot scenario's choices and defaults, in a module of constants alone: the page's tab
// bundle offers them in its form without bundling the machine they configure (that runs in
// the worker).

import type { CardMode, Strategy } from '../../../guest/netdriver/config.js';

export const STRATEGIES: readonly Strategy[] = ['copy', 'flip', 'hybrid'];
export const MODES: readonly CardMode[] = ['busmaster', 'classic'];
/** Link speeds the wire offers, in Mbit/s. */
export const LINK_SPEEDS: readonly number[] = [10, 100];
/** Defaults of `reloaded run` and the page. */
export const BOOT_DEFAULTS = { seed: 1, millis: 50, strategy: 'flip' as Strategy, mode: 'busmaster' as CardMode, clients: 2 };
/** Most emulated milliseconds one run may take. */
export const MAX_MILLIS = 60_000;
/** Most sessions the driver serves (DriverConfig.maxSessions default). */
export const MAX_CLIENTS = 16;
