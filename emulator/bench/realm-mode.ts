// First import of the realm bench's child (realm-child.ts): harden the realm as every entry
// does, or, with the argument `unhardened`, leave it as node made it, with `harden` an identity
// so that domain modules still load. Synchronous, so it runs before any other module.

import { hardenRealm } from '../machine/realm.js';

export const UNHARDENED = process.argv.includes('unhardened');
if (UNHARDENED) (globalThis as { harden?: unknown }).harden = <T>(x: T): T => x;
else hardenRealm();
