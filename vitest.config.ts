// Test runner configuration: one suite, node environment, generous per-test timeout
// because cycle sweeps and property tests run many emulated scenarios.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The realm is hardened (SES lockdown) before any test module loads, as in the product.
    setupFiles: ['test/support/realm.ts'],
    // dist/ built once for every test that runs the CLI or serves the page (test/support/build.ts).
    globalSetup: ['test/support/build.ts'],
  },
});
