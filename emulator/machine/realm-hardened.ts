// Importing this module hardens the realm (realm.ts) at once. Entry points import it first,
// before any other module is evaluated, so that domain modules can freeze their exports with
// `harden` as they load and no module ever sees the unhardened intrinsics.

import { hardenRealm } from './realm.js';

hardenRealm();
