import { defineConfig } from 'vitest/config';

// One real control plane (globalSetup) shared by every scenario file; files run
// one after another because they share the cluster and the extender.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/scenarios/**/*.e2e.ts'],
    globalSetup: ['e2e/lib/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
