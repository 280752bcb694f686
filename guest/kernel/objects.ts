// The kernel objects (DESIGN.md §4) as one union, and the header every object carries: an
// identity, the version that capabilities must match (bumped when the object is rescinded
// or revoked, which voids every capability to it), and the bank that allocated it.

import type { Bank } from './banks.js';
import type { DevPriv } from './devpriv.js';
import type { Domain } from './domains.js';
import type { Endpoint } from './endpoints.js';
import type { Notification } from './notifications.js';
import type { Page } from './pages.js';
import type { Region, Space } from './spaces.js';

export interface ObjectHeader {
  readonly id: number;
  version: number;
  /** False once rescinded; a rescinded object never comes back. */
  live: boolean;
  /** The bank that allocated the object (undefined for boot objects: the prime bank, device privileges). */
  readonly bank: Bank | undefined;
}

export type KObject = Page | Bank | Space | Region | Domain | Endpoint | Notification | DevPriv;
