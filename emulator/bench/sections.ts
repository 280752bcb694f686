// Every benchmark section, in the order a full run takes them, and the choice of sections from
// the command line (names or aliases; none means all, with --quick all but the long ones).

import { bootSection } from './boot.js';
import { cardmodesSection } from './cardmodes.js';
import { devicesSection } from './devices.js';
import { exploreSection } from './explore.js';
import { kernelSection } from './kernel.js';
import { machineSection } from './machine.js';
import { netdriverSection } from './netdriver.js';
import { netstackSection } from './netstack.js';
import { realmSection } from './realm.js';
import type { Section } from './section.js';
import { topologiesSection } from './topologies.js';
import { x86Section } from './x86.js';

export const SECTIONS: readonly Section[] = [
  machineSection, devicesSection, x86Section, kernelSection, netdriverSection, netstackSection,
  topologiesSection, cardmodesSection, bootSection, exploreSection, realmSection,
];

export const sectionNames = (): string[] => SECTIONS.flatMap((s) => [s.name, ...(s.aliases ?? [])]);

/** The sections `names` ask for, in run order; an unknown name is an error naming the known ones. */
export function chooseSections(names: readonly string[], quick: boolean): { run: Section[]; skipped: Section[] } {
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n || s.aliases?.includes(n)));
  if (unknown.length > 0) throw new Error(`no bench section ${unknown.join(', ')}; there are: ${sectionNames().join(', ')}`);
  const asked = names.length === 0 ? SECTIONS : SECTIONS.filter((s) => names.includes(s.name) || s.aliases?.some((a) => names.includes(a)));
  const skipped = names.length === 0 && quick ? asked.filter((s) => s.long) : [];
  return { run: asked.filter((s) => !skipped.includes(s)), skipped };
}
