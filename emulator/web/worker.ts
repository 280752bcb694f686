// The page's worker: it runs the machine, with the same code as node, off the tab's thread.
import '../machine/realm-hardened.js';
