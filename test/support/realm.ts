// vitest setup file: every test file runs in a hardened realm, as the product does (the CLI,
// the page and the bench import emulator/machine/realm-hardened.ts first).
import '../../emulator/machine/realm-hardened.js';
