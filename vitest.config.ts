import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,scheduler-extender,device-plugin,node-agent,bench,cli,test,manifests}/**/*.test.ts'],
    exclude: ['node_modules/**', 'e2e/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
