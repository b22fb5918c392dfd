/**
 * The kube-scheduler stand-in of the extender benchmark's HTTP phase, in its own process
 * (bench/extender-bench.ts forks it): kube-scheduler never shares the extender's event loop
 * or heap, so neither should the client that times the extender.
 *
 * Protocol (Node IPC): the parent sends one `LoadgenJob` message; this process runs the pods
 * in order — per pod `POST /filter` (node-cache mode, the job's candidate names), then
 * `POST /prioritize` with the same body when two or more nodes passed, then `POST /bind` to
 * the best-scored node — over one keep-alive connection (node:http, as kube-scheduler's Go
 * client keeps its connection), timing the three round trips of each pod; it answers with
 * one `LoadgenResult` message (of the pods after the first `warmup`) and exits.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadgenJob {
  readonly port: number;
  /** Pod objects, in order. */
  readonly pods: readonly Record<string, unknown>[];
  /** Candidate node names per pod (kube-scheduler's window after its own filters). */
  readonly candidates: readonly (readonly string[])[];
  /** The first this many pods warm up the client and the server's HTTP path: placed the same way, not timed. */
  readonly warmup: number;
}

export interface LoadgenResult {
  /** Milliseconds per pod for filter + prioritize + bind. */
  readonly times: number[];
  readonly bytesRequest: number;
  readonly bytesFilterResponse: number;
  readonly bound: number;
  readonly errors: string[];
  /** CPU time of this client process over the run, ms. */
  readonly clientCpuMs: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(port: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          else resolve(text);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runLoad(job: LoadgenJob): Promise<LoadgenResult> {
  const times: number[] = [];
  const errors: string[] = [];
  let bytesRequest = 0;
  let bytesFilterResponse = 0;
  let bound = 0;
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < job.pods.length; i++) {
    if (i === job.warmup) {
      times.length = 0;
      bytesRequest = 0;
      bytesFilterResponse = 0;
      bound = 0;
      errors.length = 0;
      cpu0 = process.cpuUsage();
    }
    const pod = job.pods[i] as Record<string, unknown>;
    const md = pod['metadata'] as { name: string; namespace: string; uid: string };
    const t = performance.now();
    const body = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: job.candidates[i] });
    bytesRequest += Buffer.byteLength(body);
    const ftext = await post(job.port, '/filter', body);
    bytesFilterResponse += ftext.length;
    const f = JSON.parse(ftext) as { NodeNames?: string[] | null; Error?: string };
    const feasible = f.NodeNames ?? [];
    let node: string | undefined;
    if (feasible.length >= 2) {
      const pr = JSON.parse(await post(job.port, '/prioritize', body)) as { Host: string; Score: number }[];
      node = pr.reduce((a, b) => (b.Score > a.Score ? b : a)).Host;
    } else node = feasible[0];
    if (node !== undefined) {
      const b = JSON.parse(await post(job.port, '/bind', JSON.stringify({ PodName: md.name, PodNamespace: md.namespace, PodUID: md.uid, Node: node }))) as { Error?: string };
      if (b.Error === '' || b.Error === undefined) bound++;
      else if (errors.length < 5) errors.push(`bind ${md.name}: ${b.Error}`);
    }
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return { times, bytesRequest, bytesFilterResponse, bound, errors, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

// Forked by the bench: one job in, one result out.
if (process.send !== undefined) {
  process.once('message', (job: LoadgenJob) => {
    runLoad(job).then(
      (r) => process.send?.(r, () => process.exit(0)),
      (err: unknown) => {
        process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
      },
    );
  });
}
