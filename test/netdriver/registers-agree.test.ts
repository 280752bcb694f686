// The driver needs the card's register numbers, but domain code may not import devices/
// (DESIGN.md §2), so guest/netdriver/registers.ts restates the ones it uses. This test keeps
// the two statements from drifting apart: every constant both files name has the same value.

import { describe, expect, it } from 'vitest';
import * as card from '../../devices/ne2k/registers.js';
import * as driver from '../../guest/netdriver/registers.js';

describe('driver and card agree on the register file', () => {
  it('every constant the driver names equals the card\'s of the same name', () => {
    const shared = Object.keys(driver).filter((k) => k in card);
    expect(shared.length).toBeGreaterThan(20);
    const differ = shared.filter((k) => (driver as Record<string, unknown>)[k] !== (card as Record<string, unknown>)[k]);
    expect(differ).toEqual([]);
  });
});
