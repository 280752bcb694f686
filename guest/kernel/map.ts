// Mapping pages into address spaces and delegated regions.
//
// DESIGN.md §4, row `map(space, va, page, rights)`: "writes a PTE; rights never exceed the
// capability's; read-only capability ⇒ R/W bit clear". The rights asked for are ANDed with
// the page capability's, so a read-only capability can only ever yield a PTE with R/W clear.
// A 4 MiB slot of a space that has been delegated is mapped only through its region.

import { PAGE_SIZE, pdeIndex, pteIndex } from '../../emulator/machine/paging.js';
import type { Result } from './api/context.js';
import { allocTable } from './alloc.js';
import { R_WRITE } from './caps.js';
import type { Page } from './pages.js';
import { err, ok } from './result.js';
import { clearMapping, writeMapping, type PageTable, type Region, type Space } from './spaces.js';
import type { KernelState } from './state.js';

/** Whether `va` is a page-aligned 32-bit linear address. */
export function isPageVa(va: unknown): va is number {
  return Number.isSafeInteger(va) && (va as number) >= 0 && (va as number) < 2 ** 32 && (va as number) % PAGE_SIZE === 0;
}


/** Map `page` at `va` of `space`, writable only if asked for *and* the capability grants write. */
export function mapInSpace(k: KernelState, space: Space, va: number, page: Page, askRights: number, capRights: number): Result {
  const pdIndex = pdeIndex(va);
  let table = space.tables.get(pdIndex);
  if (table?.region) return err('delegated');
  if (!table) {
    const t = allocTable(k, space, pdIndex, space.bank!);
    if (!t.ok) return t;
    table = t.value;
  }
  mapInTable(k, table, pteIndex(va), page, (askRights & capRights & R_WRITE) !== 0);
  return ok();
}

/** Map `page` at `va`, which must lie in the region's 4 MiB. */
export function mapInRegion(k: KernelState, region: Region, va: number, page: Page, askRights: number, capRights: number): Result {
  if (pdeIndex(va) !== region.table.pdIndex) return err('bad-arg');
  mapInTable(k, region.table, pteIndex(va), page, (askRights & capRights & R_WRITE) !== 0);
  return ok();
}

/** Replace whatever PTE `index` held by a mapping of `page`. */
function mapInTable(k: KernelState, table: PageTable, index: number, page: Page, writable: boolean): void {
  const old = table.mappings.get(index);
  if (old) clearMapping(k.hw, k.frames, old);
  writeMapping(k.hw, k.frames, table, index, page.frame, writable);
}

/** Clear the PTE at `va` (nothing to do if it is not present). */
export function unmapIn(k: KernelState, table: PageTable | undefined, va: number): Result {
  const m = table?.mappings.get(pteIndex(va));
  if (m) clearMapping(k.hw, k.frames, m);
  return ok();
}

/** The table of `space` that `va` falls in, unless it is delegated (then only its region may unmap). */
export function spaceTable(space: Space, va: number): PageTable | undefined | 'delegated' {
  const t = space.tables.get(pdeIndex(va));
  return t?.region ? 'delegated' : t;
}
