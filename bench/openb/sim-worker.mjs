// Worker-thread entry for parallel simulation runs: tsx's loader is not inherited by
// worker threads, so register it here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./sim-worker.ts');
