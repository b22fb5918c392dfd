/**
 * The kube-scheduler stand-in of the extender benchmark's HTTP phase, in its own process
 * (bench/extender-bench.ts forks it): kube-scheduler never shares the extender's event loop
 * or heap, so neither should the client that times the extender.
 *
 * Protocol (Node IPC): the parent sends one `LoadgenJob` message, this process answers
 * `{ ready: true }`, the parent sends `{ go: true }` (its clocks start); this process runs the pods
 * in order — per pod `POST /filter` (node-cache mode, the job's candidate names), then
 * `POST /prioritize` with the names that passed when two or more did (kube-scheduler scores
 * only the feasible nodes; the in-process client sent all candidates again), then `POST /bind` to
 * the best-scored node — over one keep-alive connection (node:http, as kube-scheduler's Go
 * client keeps its connection), timing the three round trips of each pod; it answers with
 * one `LoadgenResult` message (of the pods after the first `warmup`) and exits.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadgenJob {
  readonly port: number;
  /** Pod objects, in order. */
  readonly pods: readonly Record<string, unknown>[];
  /** Node names; pod i gets `candidates` of them from `offset + i × candidates` (mod length), as kube-scheduler rotates its window. */
  readonly names: readonly string[];
  readonly candidates: number;
  readonly offset: number;
  /** The first this many pods warm up the client and the server's HTTP path: placed the same way, not timed. */
  readonly warmup: number;
}

export interface LoadgenResult {
  /** Milliseconds per pod for filter + prioritize + bind. */
  readonly times: number[];
  /**
   * Linux: the same less the time the server's main thread and this client's thread waited
   * for a core held by another process (runqueue wait, /proc/…/schedstat); empty elsewhere.
   */
  readonly lessWait: number[];
  /** Milliseconds per single HTTP round trip (request written → answer parsed), by verb. */
  readonly trips: Readonly<Record<'filter' | 'prioritize' | 'bind', number[]>>;
  readonly bytesRequest: number;
  readonly bytesFilterResponse: number;
  readonly bound: number;
  readonly errors: string[];
  /** CPU time of this client process over the run, ms. */
  readonly clientCpuMs: number;
}

/** Runqueue wait (ms) of the thread whose schedstat file this is; NaN when unreadable. */
function waitMs(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
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
  const lessWait: number[] = [];
  /** One HTTP round trip each (request written → answer parsed), per verb. */
  const trips: Record<'filter' | 'prioritize' | 'bind', number[]> = { filter: [], prioritize: [], bind: [] };
  const errors: string[] = [];
  const serverStat = `/proc/${process.ppid}/task/${process.ppid}/schedstat`;
  const waited = (): number => waitMs(serverStat) + waitMs('/proc/thread-self/schedstat');
  let bytesRequest = 0;
  let bytesFilterResponse = 0;
  let bound = 0;
  let cpu0 = process.cpuUsage();
  let offset = job.offset;
  for (let i = 0; i < job.pods.length; i++) {
    if (i === job.warmup) {
      times.length = 0;
      lessWait.length = 0;
      trips.filter.length = 0;
      trips.prioritize.length = 0;
      trips.bind.length = 0;
      bytesRequest = 0;
      bytesFilterResponse = 0;
      bound = 0;
      errors.length = 0;
      cpu0 = process.cpuUsage();
    }
    const pod = job.pods[i] as Record<string, unknown>;
    const md = pod['metadata'] as { name: string; namespace: string; uid: string };
    const w0 = waited();
    const t = performance.now();
    const cand: string[] = [];
    for (let j = 0; j < job.candidates; j++) cand.push(job.names[(offset + j) % job.names.length] as string);
    offset = (offset + job.candidates) % job.names.length;
    const body = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: cand });
    bytesRequest += Buffer.byteLength(body);
    const tf = performance.now();
    const ftext = await post(job.port, '/filter', body);
    bytesFilterResponse += ftext.length;
    const f = JSON.parse(ftext) as { NodeNames?: string[] | null; Error?: string };
    trips.filter.push(performance.now() - tf);
    const feasible = f.NodeNames ?? [];
    let node: string | undefined;
    if (feasible.length >= 2) {
      // kube-scheduler prioritizes the nodes that passed filtering (the extender's NodeNames).
      const pbody = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: feasible });
      const tp = performance.now();
      const pr = JSON.parse(await post(job.port, '/prioritize', pbody)) as { Host: string; Score: number }[];
      trips.prioritize.push(performance.now() - tp);
      node = pr.reduce((a, b) => (b.Score > a.Score ? b : a)).Host;
    } else node = feasible[0];
    if (node !== undefined) {
      const bbody = JSON.stringify({ PodName: md.name, PodNamespace: md.namespace, PodUID: md.uid, Node: node });
      const tb = performance.now();
      const b = JSON.parse(await post(job.port, '/bind', bbody)) as { Error?: string };
      trips.bind.push(performance.now() - tb);
      if (b.Error === '' || b.Error === undefined) bound++;
      else if (errors.length < 5) errors.push(`bind ${md.name}: ${b.Error}`);
    }
    times.push(performance.now() - t);
    const w = waited() - w0;
    if (w === w) lessWait.push((times[times.length - 1] as number) - w);
  }
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return { times, lessWait, trips, bytesRequest, bytesFilterResponse, bound, errors, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

// Forked by the bench: one job in, one result out.
if (process.send !== undefined) {
  process.once('message', (job: LoadgenJob) => {
    // ready → the parent starts its clocks → go
    process.once('message', () => runLoad(job).then(
      (r) => process.send?.(r, () => process.exit(0)),
      (err: unknown) => {
        process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
      },
    ));
    process.send?.({ ready: true });
  });
}
