/** One simulation run in a worker thread (see parallel.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { loadInputs } from './driver.js';
import { runSimulation } from './simulate.js';
import type { WorkerJob } from './parallel.js';

const port = parentPort;
if (port === null) throw new Error('sim-worker must run in a worker thread');
port.on('message', (job: WorkerJob) => {
  const inputs = loadInputs(job.nodesFile, job.podsFile, job.replicate ?? 1);
  const result = runSimulation({
    nodes: inputs.nodes,
    pods: inputs.pods,
    policy: job.policy,
    seed: job.seed,
    tune: job.tune,
    topology: job.topology,
    progressEvery: 250,
    onProgress: (done, total) => port.postMessage({ kind: 'progress', done, total }),
  });
  port.postMessage({ kind: 'result', result });
});
void workerData;
