// Every scenario `reloaded explore` knows, by name, in the order `--list` shows them.

import type { Scenario } from '../scenario.js';
import { destroyStackDuringRx, revokeDuringCopyRx, revokeDuringFlipRx, revokeVsExchange, revokeWithIommu } from './receive.js';
import { destroyDuringSetup } from './setup.js';
import { stealDriverMessagesScenario } from './steal.js';
import { unmapVsStaleTlb } from './tlb.js';
import { hostileHeaderRewrite, revokeDuringTx } from './transmit.js';

export const SCENARIOS: readonly Scenario[] = Object.freeze([
  revokeDuringCopyRx, revokeDuringFlipRx, revokeDuringTx, revokeVsExchange, unmapVsStaleTlb, destroyDuringSetup,
  hostileHeaderRewrite, revokeWithIommu, destroyStackDuringRx, stealDriverMessagesScenario,
]);

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
