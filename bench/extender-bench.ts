/**
 * Extender benchmark (BENCHMARKS.md scenario D): filter + prioritize + bind per pod, in
 * process (the Extender object) and over HTTP on loopback (fastify; the client, standing in
 * for kube-scheduler, is bench/extender-loadgen.ts in a child process), with
 * nodeCacheCapable (names only) on openb-like nodes pre-filled to about 50 % GPU.
 *
 *   npm run bench:extender -- --nodes 5000 --pods 20000 --json
 *   Defaults model a warm extender behind kube-scheduler: both phases send kube-scheduler's
 *   candidate count (numFeasibleNodesToFind: 500 of 5,000 nodes), after 2,000 in-process and
 *   500 HTTP warm-up pods (until 2026-11-22 the defaults were all nodes in process, 200 / 0
 *   warm-up pods, 300 HTTP pods: pass those flags to compare with older rows).
 *   options: --measure 1000 (pods timed in process) --http 1000 (pods timed over HTTP)
 *            --warmup 2000 (pods placed in process before timing: the first pod of each shape
 *            judges every node cold; reported apart as warmupP99Ms / warmupMaxMs)
 *            --stand-in-retains (the stand-in API server keeps a copy of every object, as before
 *            2026-11-22's memory pass: rssMb then includes it) --in-process-candidates N (names per in-process filter, rotating like the HTTP phase;
 *            default kube-scheduler's count as for HTTP; --in-process-candidates <nodes> judges every node) --cache-shapes 64 (pod shapes memoised per node) --candidates N (names per HTTP filter; default kube-scheduler's
 *            numFeasibleNodesToFind for the cluster size) --seed 1 --fill 0.5
 *            --http-inline (the HTTP client in this process, on the extender's event loop, as
 *            before 2026-11-22's latency pass; default: bench/extender-loadgen.ts in a child
 *            process over one keep-alive connection, as kube-scheduler is a separate process)
 *            --http-warmup 500 (child-process client: pods placed over HTTP before timing, drawn
 *            after the timed ones so the timed pods are the same; warms the client and the
 *            server's HTTP path). inProcessCpuP99Ms: p99 of per-pod process CPU time (getrusage,
 *            all threads) over the same span as the wall time: apart from time other jobs held
 *            the cores; inProcessP99LessRunqueueWaitMs (Linux): p99 of wall time less the time the
 *            main thread waited for a core held by another process (/proc/thread-self/schedstat);
 *            BENCH_HTTP_PROFILE=<file>: CPU profile of the extender process
 *            during the child-process HTTP run
 *
 * `--pods` is the number of pods in the cache: accelerator pods placed by core until the
 * fill target, the rest CPU-only pods (both bound, with annotations, fed through the same
 * informer path as a restart). Both phases send kube-scheduler's candidate count by default
 * (`--in-process-candidates`, `--candidates`), as kube-scheduler does after its in-tree
 * filters and percentageOfNodesToScore. Prints JSON with at least nodes, pods,
 * inProcessP50Ms, inProcessP99Ms, httpP50Ms, httpP99Ms, bytesPerFilterRequest, podsPerSec, rssMb.
 *
 * Memory: the stand-in API server (MemoryCluster with retainObjects: false) keeps no copy of
 * what it emits (only pods not bound yet) and records no bindings or patches, so `rssMb` is
 * the extender's process RSS (plus this small harness); `standInRetains` says which mode ran.
 * In that mode the extender is started first and every pre-filled object reaches it as one
 * informer event (what a restart's list delivers); `rebuildMs` is the time spent in those events.
 * The container image runs compiled JS, and so does `npm run bench:extender -- …`: it builds
 * dist/ and runs `node --expose-gc dist/bench/extender-bench.js …` (no tsx loader in the
 * process, ~35 MB less RSS); `npm run bench:extender:tsx -- …` runs the sources under tsx
 * (`compiled` in the output says which ran). BENCH_HEAP_SNAPSHOT=<file> writes a heap snapshot
 * after the rebuild (open it in Chrome DevTools → Memory).
 */
import { performance } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, extname, join } from 'node:path';
import pino from 'pino';
import {
  Ledger,
  NODE_INVENTORY,
  POD_DECISION,
  buildDecision,
  compilePod,
  fitNode,
  placementFromDecision,
  type Node,
  type PodRequest,
} from '../core/index.js';
import { MemoryCluster } from '../scheduler-extender/src/memory-cluster.js';
import { createService } from '../scheduler-extender/src/service.js';
import { buildServer } from '../scheduler-extender/src/server.js';
import { nodeEntryFrom } from '../scheduler-extender/src/inventory.js';
import { translatePod } from '../scheduler-extender/src/translate.js';
import { decisionAnnotations } from '../scheduler-extender/src/decision-codec.js';
import { createRng } from './openb/rng.js';
import { openbLikeNode } from './openb-like-node.js';
import type { LoadgenJob, LoadgenResult } from './extender-loadgen.js';

interface Args {
  nodes: number;
  pods: number;
  measure: number;
  http: number;
  candidates: number | null;
  seed: number;
  fill: number;
  cacheShapes: number | null;
  warmup: number;
  inProcessCandidates: number | null;
  standInRetains: boolean;
  httpInline: boolean;
  httpWarmup: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { nodes: 5000, pods: 20000, measure: 1000, http: 1000, candidates: null, seed: 1, fill: 0.5, cacheShapes: null, warmup: 2000, inProcessCandidates: null, standInRetains: false, httpInline: false, httpWarmup: 500, json: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = (name: string): number => {
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number, got ${v}`);
      i++;
      return n;
    };
    switch (k) {
      case '--nodes': a.nodes = num(k); break;
      case '--pods': a.pods = num(k); break;
      case '--measure': a.measure = num(k); break;
      case '--http': a.http = num(k); break;
      case '--candidates': a.candidates = num(k); break;
      case '--seed': a.seed = num(k); break;
      case '--fill': a.fill = num(k); break;
      case '--cache-shapes': a.cacheShapes = num(k); break;
      case '--warmup': a.warmup = num(k); break;
      case '--in-process-candidates': a.inProcessCandidates = num(k); break;
      case '--json': a.json = true; break;
      case '--http-inline': a.httpInline = true; break;
      case '--http-warmup': a.httpWarmup = num(k); break;
      case '--stand-in-retains': a.standInRetains = true; break;
      default: throw new Error(`unknown option ${k}; see the header of bench/extender-bench.ts`);
    }
  }
  return a;
}

/** Seeded uniform [0, 1) source (the simulator's mulberry32). */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

/** openb-like nodes (bench/openb-like-node.ts). */
function kubeNodes(count: number, random: () => number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const { inventory, cpu } = openbLikeNode(i, random);
    out.push({ metadata: { name: `node-${i}`, labels: {}, annotations: { [NODE_INVENTORY]: JSON.stringify(inventory) } }, status: { allocatable: { cpu, memory: '384Gi' } } });
  }
  return out;
}

/** An openb-like pod: 13 % CPU-only, 38 % shares of 100–900 milli, 48 % 1 GPU, 1 % 2/4/8 GPUs. */
function kubePod(i: number, random: () => number, cpuOnly: boolean): Record<string, unknown> {
  const cpu = [2, 4, 8, 16][Math.floor(random() * 4)] as number;
  const r = cpuOnly ? 0 : random();
  let res: Record<string, string> = {};
  if (r >= 0.13 && r < 0.51) res = { 'nvidia.com/gpu': '1', 'nvidia.com/gpucores': String(10 * (1 + Math.floor(random() * 9))) };
  else if (r >= 0.51 && r < 0.99) res = { 'nvidia.com/gpu': '1' };
  else if (r >= 0.99) res = { 'nvidia.com/gpu': String([2, 4, 8][Math.floor(random() * 3)]) };
  return {
    metadata: { name: `pod-${i}`, namespace: 'bench', uid: `uid-${i}`, labels: {}, annotations: {} },
    spec: { schedulerName: 'tessera-scheduler', containers: [{ name: 'main', resources: { limits: res, requests: { cpu: String(cpu), memory: '4Gi', ...res } } }] },
    status: { phase: 'Pending' },
  };
}

/**
 * Linux: milliseconds this thread has been runnable but not running (another process held
 * the core), from /proc/thread-self/schedstat; NaN elsewhere. On a shared machine a pod's
 * wall time minus this is what the extender itself took (its GC helpers included: waiting
 * for them is not runqueue time).
 */
function runqueueWaitMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** kube-scheduler's numFeasibleNodesToFind with the adaptive percentageOfNodesToScore. */
function feasibleToFind(n: number): number {
  if (n < 100) return n;
  const pct = Math.max(5, 50 - Math.floor(n / 125));
  return Math.max(100, Math.floor((n * pct) / 100));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const random = rng(args.seed);
  const log = pino({ level: 'silent' });
  const t0 = performance.now();

  // 1. Nodes and pre-filled pods, decided by core directly (fast), written as annotations.
  let nodes: Record<string, unknown>[] | null = kubeNodes(args.nodes, random);
  const names = nodes.map((n) => (n['metadata'] as { name: string }).name);
  let coreNodes: Node[] | null = nodes.map((n) => nodeEntryFrom(n)!.node);
  const totalGpu = coreNodes.reduce((s, n) => s + n.devices.length * 1000, 0);
  let ledger: Ledger | null = Ledger.fromNodes(coreNodes);
  let cursor = 0;
  const cluster = new MemoryCluster({ retainObjects: args.standInRetains });
  const clock = { now: Date.now() };
  const service = createService({ kube: cluster, log, clock: () => clock.now, reservationTtlMs: 30_000, ...(args.cacheShapes !== null ? { cacheShapesPerNode: args.cacheShapes } : {}) });
  // Non-retaining stand-in: the extender listens from the start; each write is one event to it.
  let rebuildMs = 0;
  const write = (kind: 'nodes' | 'pods', obj: Record<string, unknown>): void => {
    if (args.standInRetains) return cluster.put(kind, obj);
    // As from the API server: a JSON-parsed object (its own strings, as a real list page gives).
    const wire = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
    const t = performance.now();
    cluster.put(kind, wire);
    rebuildMs += performance.now() - t;
  };
  if (!args.standInRetains) await service.start();
  for (const n of nodes) write('nodes', n);
  nodes = null;
  let usedGpu = 0;
  let placed = 0;
  let cpuOnly = 0;
  for (let i = 0; i < args.pods; i++) {
    const full = usedGpu >= args.fill * totalGpu;
    const pod = kubePod(i, random, full);
    const req: PodRequest = translatePod(pod);
    if (req.containers.length === 0) {
      cpuOnly++;
      write('pods', { ...pod, spec: { ...(pod['spec'] as object), nodeName: `node-${i % args.nodes}` }, status: { phase: 'Running' } });
      continue;
    }
    // Pre-fill by first fit from a rotating cursor (fast; the measured phase uses the real policy).
    const cp = compilePod(ledger, req);
    let decision = null;
    for (let tries = 0; tries < 64 && decision === null; tries++) {
      const idx = cursor++ % names.length;
      const f = fitNode(ledger, idx, cp);
      if (f.ok) decision = buildDecision(ledger, req, f.fit, 1);
    }
    if (decision === null) continue;
    const rr = ledger.reserve(req.uid, placementFromDecision(decision, req));
    if (!rr.ok) continue;
    for (const c of decision.containers) for (const d of c.devices) usedGpu += d.computeMilli;
    placed++;
    const md = pod['metadata'] as Record<string, unknown>;
    write('pods', { ...pod, metadata: { ...md, annotations: { ...decisionAnnotations(decision) } }, spec: { ...(pod['spec'] as object), nodeName: decision.node }, status: { phase: 'Running' } });
  }
  ledger = null;
  coreNodes = null;
  const prefillMs = performance.now() - t0 - rebuildMs;
  const heapMb = (): number => Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  if (typeof global.gc === 'function') global.gc();
  // Retaining stand-in: its heap alone; otherwise the extender's state is already in it.
  const heapAfterPrefill = args.standInRetains ? heapMb() : null;

  // 2. A fresh extender rebuilds its ledger from the annotations (the restart path): with the
  // retaining stand-in, start() replays every object now; otherwise they were delivered above.
  if (args.standInRetains) {
    const tr = performance.now();
    await service.start();
    rebuildMs = performance.now() - tr;
  } else service.refreshWorkload();
  if (typeof global.gc === 'function') global.gc();
  const heapAfterRebuild = heapMb();
  const memAfterRebuild = process.memoryUsage();
  // BENCH_HEAP_SNAPSHOT=<file>: a V8 heap snapshot of the extender's state after the rebuild.
  const snapshot = process.env['BENCH_HEAP_SNAPSHOT'];
  if (snapshot !== undefined) writeHeapSnapshot(snapshot);
  if (service.state.holdings.size !== placed) throw new Error(`rebuild recorded ${service.state.holdings.size} grants, expected ${placed}`);

  // 3. In process: filter (all nodes) + prioritize + bind, per pod.
  const inProc: number[] = [];
  const filterOnly: number[] = [];
  let bound = 0;
  let next = args.pods;
  const podsMeasured = (count: number): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    while (out.length < count) {
      const p = kubePod(next++, random, false);
      const c = (p['spec'] as { containers: { resources: { limits: object } }[] }).containers[0]!;
      if (Object.keys(c.resources.limits).length === 0) continue; // accelerator pods only
      out.push(p);
    }
    return out;
  };
  const kIn = Math.min(names.length, args.inProcessCandidates ?? feasibleToFind(names.length));
  let inOffset = 0;
  const candidates = (): string[] => {
    if (kIn === names.length) return names;
    const c: string[] = [];
    for (let j = 0; j < kIn; j++) c.push(names[(inOffset + j) % names.length] as string);
    inOffset = (inOffset + kIn) % names.length;
    return c;
  };
  const placeOne = async (pod: Record<string, unknown>, times: number[], filterTimes: number[]): Promise<void> => {
    cluster.put('pods', pod);
    const md = pod['metadata'] as { name: string; uid: string };
    const cand = candidates();
    const w0 = runqueueWaitMs();
    const c0 = process.cpuUsage();
    const t = performance.now();
    const f = service.extender.filter({ Pod: pod as never, NodeNames: cand });
    const tf = performance.now();
    const feasible = f.NodeNames ?? [];
    if (feasible.length >= 2) service.extender.prioritize({ Pod: pod as never, NodeNames: feasible });
    let node = feasible[0];
    const held = service.state.holdings.get(md.uid)?.decision.node;
    if (held !== undefined) node = held;
    if (node !== undefined) {
      const b = await service.extender.bind({ PodName: md.name, PodNamespace: 'bench', PodUID: md.uid, Node: node });
      if (b.Error === '') bound++;
    }
    times.push(performance.now() - t);
    filterTimes.push(tf - t);
    // Process CPU over the same span: unlike wall time, not inflated while other jobs hold the cores.
    const c1 = process.cpuUsage(c0);
    if (times === inProc) {
      cpuTimes.push((c1.user + c1.system) / 1000);
      const w = runqueueWaitMs() - w0;
      waits.push(w);
      lessWait.push((times[times.length - 1] as number) - w);
    }
  };
  const waits: number[] = [];
  const lessWait: number[] = [];
  const cpuTimes: number[] = [];
  const warm: number[] = [];
  for (const pod of podsMeasured(args.warmup)) await placeOne(pod, warm, []);
  warm.sort((a, b) => a - b);
  bound = 0;
  // BENCH_PROFILE=<file>: CPU profile of the timed in-process phase only (after warm-up).
  const profile = process.env['BENCH_PROFILE'];
  const session = profile === undefined ? null : new Session();
  if (session !== null) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  // BENCH_HEAP_PROFILE=<file>: sampled allocations (collected ones included) of the same phase.
  const heapProfile = process.env['BENCH_HEAP_PROFILE'];
  const heapSession = heapProfile === undefined ? null : new Session();
  if (heapSession !== null) {
    heapSession.connect();
    await heapSession.post('HeapProfiler.enable');
    await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  }
  const tIn = performance.now();
  const cpu0 = process.cpuUsage();
  for (const pod of podsMeasured(args.measure)) await placeOne(pod, inProc, filterOnly);
  const inProcWallS = (performance.now() - tIn) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  if (heapSession !== null && heapProfile !== undefined) {
    const { profile: hp } = await heapSession.post('HeapProfiler.stopSampling');
    writeFileSync(heapProfile, JSON.stringify(hp));
    heapSession.disconnect();
  }
  if (typeof global.gc === 'function') global.gc();
  const heapAfterInProcess = heapMb();
  const cpuMsPerPod = (cpu1.user + cpu1.system) / 1000 / Math.max(1, inProc.length);
  if (session !== null && profile !== undefined) {
    const { profile: p } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(p));
    session.disconnect();
  }

  // 4. Over HTTP on loopback, node-cache mode with kube-scheduler's candidate count.
  const app = buildServer(service);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const k = Math.min(names.length, args.candidates ?? feasibleToFind(names.length));
  const http: number[] = [];
  let bytesReq = 0;
  let bytesResp = 0;
  const post = async (path: string, body: string): Promise<any> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (path === '/filter') bytesResp += text.length;
    return JSON.parse(text);
  };
  let offset = 0;
  let httpBound = 0;
  let clientCpuMsPerPod: number | null = null;
  /** Child-process client: p50 / p99 of each single round trip (filter, prioritize, bind apart). */
  const roundTrips: Record<string, { n: number; p50Ms: number; p99Ms: number }> = {};
  let serverCpuMsPerPod: number | null = null;
  const httpLessWait: number[] = [];
  if (!args.httpInline && args.http + args.httpWarmup > 0) {
    // kube-scheduler's stand-in in its own process: this process only serves.
    const timed = podsMeasured(args.http);
    const pods = [...podsMeasured(args.httpWarmup), ...timed];
    for (const pod of pods) cluster.put('pods', pod);
    // The child rotates the same candidate window (k names from `offset`, then the next k …).
    const job: LoadgenJob = { port, pods, names, candidates: k, offset, warmup: args.httpWarmup };
    // Beside this file, same extension (.ts under tsx, .js compiled); execArgv (loader, flags) is inherited.
    const here = fileURLToPath(import.meta.url);
    const child = fork(join(dirname(here), `extender-loadgen${extname(here)}`), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // The job crosses first (its transfer is not the extender's work), then the timed run starts.
    const failed = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`loadgen exited with ${code} before answering`))));
    const next = <T>(): Promise<T> =>
      Promise.race([new Promise<T>((resolve, reject) => child.once('message', (m: T & { error?: string }) => (m.error !== undefined ? reject(new Error(`loadgen: ${m.error}`)) : resolve(m)))), failed]);
    const ready = next<{ ready: true }>();
    child.send(job);
    await ready;
    // BENCH_HTTP_PROFILE=<file>: CPU profile of this (the extender's) process during the HTTP run.
    const httpProfile = process.env['BENCH_HTTP_PROFILE'];
    const httpSession = httpProfile === undefined ? null : new Session();
    if (httpSession !== null) {
      httpSession.connect();
      await httpSession.post('Profiler.enable');
      await httpSession.post('Profiler.start');
    }
    const serverCpu0 = process.cpuUsage();
    const done = next<LoadgenResult>();
    child.send({ go: true });
    const r = await done;
    http.push(...r.times);
    httpLessWait.push(...r.lessWait);
    for (const verb of ['filter', 'prioritize', 'bind'] as const) {
      const sorted = [...r.trips[verb]].sort((a, b) => a - b);
      roundTrips[verb] = { n: sorted.length, p50Ms: Number(quantile(sorted, 0.5).toFixed(3)), p99Ms: Number(quantile(sorted, 0.99).toFixed(3)) };
    }
    bytesReq = r.bytesRequest;
    bytesResp = r.bytesFilterResponse;
    httpBound = r.bound;
    clientCpuMsPerPod = r.clientCpuMs / Math.max(1, r.times.length);
    // Server CPU over the whole child run (warm-up pods included), per pod sent.
    const sc = process.cpuUsage(serverCpu0);
    if (httpSession !== null && httpProfile !== undefined) {
      const { profile: p } = await httpSession.post('Profiler.stop');
      writeFileSync(httpProfile, JSON.stringify(p));
      httpSession.disconnect();
    }
    serverCpuMsPerPod = (sc.user + sc.system) / 1000 / Math.max(1, pods.length);
    if (r.errors.length > 0) process.stderr.write(`extender-bench: loadgen: ${r.errors.join('; ')}\n`);
  }
  for (const pod of args.httpInline ? podsMeasured(args.http) : []) {
    cluster.put('pods', pod);
    const md = pod['metadata'] as { name: string; uid: string };
    const cand: string[] = [];
    for (let j = 0; j < k; j++) cand.push(names[(offset + j) % names.length] as string);
    offset = (offset + k) % names.length;
    const t = performance.now();
    const body = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: cand });
    bytesReq += Buffer.byteLength(body);
    const f = await post('/filter', body);
    const feasible: string[] = f.NodeNames ?? [];
    let node: string | undefined;
    if (feasible.length >= 2) {
      const pr: { Host: string; Score: number }[] = await post('/prioritize', body);
      node = pr.reduce((a, b) => (b.Score > a.Score ? b : a)).Host;
    } else node = feasible[0];
    if (node !== undefined && (await post('/bind', JSON.stringify({ PodName: md.name, PodNamespace: 'bench', PodUID: md.uid, Node: node }))).Error === '') httpBound++;
    http.push(performance.now() - t);
  }
  await app.close();
  if (typeof global.gc === 'function') global.gc();
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  inProc.sort((a, b) => a - b);
  filterOnly.sort((a, b) => a - b);
  http.sort((a, b) => a - b);
  const result = {
    nodes: args.nodes,
    pods: service.state.pods.size,
    prefilledAcceleratorPods: placed,
    cpuOnlyPods: cpuOnly,
    gpuFill: Number((usedGpu / totalGpu).toFixed(3)),
    warmupPods: warm.length,
    warmupP99Ms: Number(quantile(warm, 0.99).toFixed(3)),
    warmupMaxMs: Number((warm[warm.length - 1] ?? 0).toFixed(3)),
    inProcessCandidates: kIn,
    measuredInProcess: inProc.length,
    boundInProcess: bound,
    inProcessP50Ms: Number(quantile(inProc, 0.5).toFixed(3)),
    inProcessP99Ms: Number(quantile(inProc, 0.99).toFixed(3)),
    inProcessMaxMs: Number((inProc[inProc.length - 1] ?? 0).toFixed(3)),
    filterOnlyP99Ms: Number(quantile(filterOnly, 0.99).toFixed(3)),
    inProcessCpuMsPerPod: Number(cpuMsPerPod.toFixed(3)),
    inProcessCpuP99Ms: Number(quantile([...cpuTimes].sort((a, b) => a - b), 0.99).toFixed(3)),
    ...(Number.isNaN(runqueueWaitMs())
      ? {}
      : {
          inProcessRunqueueWaitMsPerPod: Number((waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length)).toFixed(3)),
          inProcessP99LessRunqueueWaitMs: Number(quantile([...lessWait].sort((a, b) => a - b), 0.99).toFixed(3)),
        }),
    podsPerSec: Number((inProc.length / inProcWallS).toFixed(1)),
    httpCandidates: k,
    measuredHttp: http.length,
    httpClient: args.httpInline ? 'inline' : 'child-process',
    httpWarmupPods: args.httpInline ? 0 : args.httpWarmup,
    boundHttp: httpBound,
    httpClientCpuMsPerPod: clientCpuMsPerPod === null ? null : Number(clientCpuMsPerPod.toFixed(3)),
    httpServerCpuMsPerPod: serverCpuMsPerPod === null ? null : Number(serverCpuMsPerPod.toFixed(3)),
    httpP50Ms: Number(quantile(http, 0.5).toFixed(3)),
    httpP99Ms: Number(quantile(http, 0.99).toFixed(3)),
    httpRoundTrips: roundTrips,
    ...(httpLessWait.length === 0 ? {} : { httpP99LessRunqueueWaitMs: Number(quantile(httpLessWait.sort((a, b) => a - b), 0.99).toFixed(3)) }),
    bytesPerFilterRequest: Math.round(bytesReq / Math.max(1, http.length)),
    bytesPerFilterResponse: Math.round(bytesResp / Math.max(1, http.length)),
    rebuildMs: Math.round(rebuildMs),
    prefillMs: Math.round(prefillMs),
    rssMb: Number(rssMb.toFixed(1)),
    standInRetains: args.standInRetains,
    compiled: import.meta.url.endsWith('.js'),
    rssAfterRebuildMb: Number((memAfterRebuild.rss / 2 ** 20).toFixed(1)),
    heapAfterPrefillMb: heapAfterPrefill,
    heapAfterRebuildMb: heapAfterRebuild,
    heapAfterInProcessMb: heapAfterInProcess,
    heapUsedMb: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)),
    heapTotalMb: Number((process.memoryUsage().heapTotal / 2 ** 20).toFixed(1)),
    // `external` already includes `arrayBuffers` (Node docs); reported apart, not added twice.
    externalMb: Number((process.memoryUsage().external / 2 ** 20).toFixed(1)),
    arrayBuffersMb: Number((process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(1)),
    memoryAfterRebuildMb: {
      heapUsed: Number((memAfterRebuild.heapUsed / 2 ** 20).toFixed(1)),
      heapTotal: Number((memAfterRebuild.heapTotal / 2 ** 20).toFixed(1)),
      external: Number((memAfterRebuild.external / 2 ** 20).toFixed(1)),
      arrayBuffers: Number((memAfterRebuild.arrayBuffers / 2 ** 20).toFixed(1)),
    },
  };
  await service.stop();
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const [key, v] of Object.entries(result)) process.stdout.write(`${key.padEnd(26)} ${v}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`extender-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
