// Page objects (DESIGN.md §4 "Page"): a storage object with an identity and a version,
// backed by one frame; `exchange` may move it to another frame.

import type { ObjectHeader } from './objects.js';

export interface Page extends ObjectHeader {
  readonly kind: 'page';
  frame: number;
}
