/**
 * Run independent simulation runs on worker threads (one run per worker at a time), so a
 * multi-policy run uses every core. Results come back in request order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TopologyMode } from './cluster.js';
import type { PolicyName, SimulationResult } from './simulate.js';

export interface WorkerJob {
  readonly nodesFile: string;
  readonly podsFile: string;
  readonly policy: PolicyName;
  readonly seed: number;
  readonly tune: number;
  readonly topology: TopologyMode;
  /** Node list repeated this many times (generated cluster); default 1. */
  readonly replicate?: number;
}

type WorkerMessage = { kind: 'progress'; done: number; total: number } | { kind: 'result'; result: SimulationResult };

export interface ParallelOptions {
  readonly threads?: number;
  /** Overall progress in [0, 1], averaged over runs. */
  readonly onProgress?: (fraction: number) => void;
  readonly onRunEnd?: (result: SimulationResult, index: number) => void;
}

export function defaultThreads(jobs: number): number {
  // One more lane than cores: runs differ in length (bestfit is ~3× faster than fgd), so a
  // spare lane keeps both cores busy to the end.
  return Math.max(1, Math.min(jobs, availableParallelism() + 1));
}

export async function runParallel(jobs: readonly WorkerJob[], options: ParallelOptions = {}): Promise<SimulationResult[]> {
  const threads = options.threads ?? defaultThreads(jobs.length);
  const results: (SimulationResult | undefined)[] = new Array(jobs.length);
  const fraction = new Float64Array(jobs.length);
  let next = 0;
  const report = (): void => {
    if (options.onProgress === undefined) return;
    let sum = 0;
    for (const f of fraction) sum += f;
    options.onProgress(sum / Math.max(1, jobs.length));
  };
  const lane = async (): Promise<void> => {
    const worker = new Worker(new URL('./sim-worker.mjs', import.meta.url));
    try {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index] as WorkerJob;
        results[index] = await new Promise<SimulationResult>((resolve, reject) => {
          const onMessage = (m: WorkerMessage): void => {
            if (m.kind === 'progress') {
              fraction[index] = m.done / Math.max(1, m.total);
              report();
              return;
            }
            worker.off('message', onMessage);
            worker.off('error', reject);
            fraction[index] = 1;
            report();
            resolve(m.result);
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.postMessage(job);
        });
        options.onRunEnd?.(results[index] as SimulationResult, index);
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(threads, jobs.length) }, lane));
  return results as SimulationResult[];
}
