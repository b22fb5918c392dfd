/**
 * The extender's memory and start-up time through the production list-watch path:
 * a fake kube-apiserver in a child process serves N nodes and M pods (openb-like, pods with
 * the fields a real API server returns: managedFields, conditions, container statuses,
 * volumes, tolerations) as paginated LISTs and open WATCH streams; this process runs
 * `createService` over the real `KubeClient` (list-watch.ts) and reports, once synced, its
 * own RSS, peak RSS (the pages in flight included) and heap. The API server's memory is in
 * the other process and not counted.
 *
 *   npx tsx bench/extender-list-bench.ts --nodes 10000 --pods 100000 --json
 *   compiled (as the image runs): npm run build && node --expose-gc dist/bench/extender-list-bench.js --nodes 10000 --pods 100000 --json
 *   options: --page 500 (items per LIST page) --seed 1 --fill 0.5
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Ledger, NODE_INVENTORY, buildDecision, compilePod, fitNode, placementFromDecision } from '../core/index.js';
import { KubeClient, connectionFrom } from '../scheduler-extender/src/kube-client.js';
import { createService } from '../scheduler-extender/src/service.js';
import { nodeEntryFrom } from '../scheduler-extender/src/inventory.js';
import { translatePod } from '../scheduler-extender/src/translate.js';
import { decisionAnnotations } from '../scheduler-extender/src/decision-codec.js';
import { createRng } from './openb/rng.js';
import { openbLikeNode } from './openb-like-node.js';

interface Args {
  nodes: number;
  pods: number;
  page: number;
  seed: number;
  fill: number;
  json: boolean;
  serve: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { nodes: 10000, pods: 100000, page: 500, seed: 1, fill: 0.5, json: false, serve: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${k}: expected a number, got ${argv[i]}`);
      return n;
    };
    switch (k) {
      case '--nodes': a.nodes = num(); break;
      case '--pods': a.pods = num(); break;
      case '--page': a.page = num(); break;
      case '--seed': a.seed = num(); break;
      case '--fill': a.fill = num(); break;
      case '--json': a.json = true; break;
      case '--serve': a.serve = true; break;
      default: throw new Error(`unknown option ${k}; see the header of bench/extender-list-bench.ts`);
    }
  }
  return a;
}

function kubeNode(i: number, random: () => number): Record<string, unknown> {
  const { inventory: inv, cpu } = openbLikeNode(i, random);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${i}`, uid: `node-uid-${i}`, resourceVersion: '1', labels: { 'kubernetes.io/hostname': `node-${i}`, 'kubernetes.io/os': 'linux' }, annotations: { [NODE_INVENTORY]: JSON.stringify(inv) } },
    spec: {},
    status: { allocatable: { cpu, memory: '384Gi', pods: '110' }, capacity: { cpu, memory: '384Gi', pods: '110' } },
  };
}

/** A pod roughly as the API server returns it (~3 KB of JSON). */
function kubePod(i: number, random: () => number, cpuOnly: boolean): Record<string, unknown> {
  const cpu = [2, 4, 8, 16][Math.floor(random() * 4)] as number;
  const r = cpuOnly ? 0 : random();
  let res: Record<string, string> = {};
  if (r >= 0.13 && r < 0.51) res = { 'nvidia.com/gpu': '1', 'nvidia.com/gpucores': String(10 * (1 + Math.floor(random() * 9))) };
  else if (r >= 0.51 && r < 0.99) res = { 'nvidia.com/gpu': '1' };
  else if (r >= 0.99) res = { 'nvidia.com/gpu': String([2, 4, 8][Math.floor(random() * 3)]) };
  const t = '2026-11-22T06:00:00Z';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${i}`,
      namespace: `team-${i % 50}`,
      uid: `0c6f3b3a-${String(i).padStart(4, '0')}-4e1b-9a52-5d1c2f7e${String(i).padStart(4, '0')}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: t,
      labels: { app: `job-${i % 997}`, 'pod-template-hash': '5d9f8c7b6' },
      annotations: {},
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: `job-${i % 997}`, uid: 'a1b2c3d4-0000-4000-8000-000000000000', controller: true, blockOwnerDeletion: true }],
      managedFields: [
        { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:ownerReferences': {} }, 'f:spec': { 'f:containers': {} } } },
        { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {} } } },
      ],
    },
    spec: {
      schedulerName: 'tessera-scheduler',
      priority: 0,
      restartPolicy: 'Never',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
      containers: [
        {
          name: 'main',
          image: 'registry.example/train:1.4.2',
          command: ['python', '-m', 'train', '--epochs', '10'],
          env: [{ name: 'EPOCHS', value: '10' }],
          resources: { limits: res, requests: { cpu: String(cpu), memory: '4Gi', ...res } },
          volumeMounts: [{ name: 'kube-api-access', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
          terminationMessagePath: '/dev/termination-log',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
}

/** The "API server": generates the cluster, pre-fills decisions, serves pages and watches. */
async function serve(args: Args): Promise<void> {
  const random = (() => {
    const r = createRng(args.seed);
    return () => r.next();
  })();
  const nodes: string[] = [];
  const coreNodes = [];
  for (let i = 0; i < args.nodes; i++) {
    const n = kubeNode(i, random);
    coreNodes.push(nodeEntryFrom(n)!.node);
    nodes.push(JSON.stringify(n));
  }
  const ledger = Ledger.fromNodes(coreNodes);
  const totalGpu = coreNodes.reduce((s, n) => s + n.devices.length * 1000, 0);
  let usedGpu = 0;
  let placed = 0;
  let cursor = 0;
  const pods: string[] = [];
  for (let i = 0; i < args.pods; i++) {
    const pod = kubePod(i, random, usedGpu >= args.fill * totalGpu);
    const req = translatePod(pod);
    const md = pod['metadata'] as Record<string, unknown>;
    const spec = pod['spec'] as Record<string, unknown>;
    const running = { phase: 'Running', qosClass: 'Burstable', hostIP: '10.0.0.1', podIP: `10.1.${(i >> 8) & 255}.${i & 255}`, startTime: '2026-11-22T06:00:01Z', conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: '2026-11-22T06:00:02Z' })), containerStatuses: [{ name: 'main', ready: true, restartCount: 0, started: true, image: 'registry.example/train:1.4.2', imageID: 'registry.example/train@sha256:4f1c2b', containerID: `containerd://${String(i).padStart(64, '0')}`, state: { running: { startedAt: '2026-11-22T06:00:02Z' } } }] };
    if (req.containers.length === 0) {
      pods.push(JSON.stringify({ ...pod, spec: { ...spec, nodeName: `node-${i % args.nodes}` }, status: running }));
      continue;
    }
    const cp = compilePod(ledger, req);
    let decision = null;
    for (let tries = 0; tries < 64 && decision === null; tries++) {
      const f = fitNode(ledger, cursor++ % coreNodes.length, cp);
      if (f.ok) decision = buildDecision(ledger, req, f.fit, 1);
    }
    if (decision === null || !ledger.reserve(req.uid, placementFromDecision(decision, req)).ok) continue;
    for (const c of decision.containers) for (const d of c.devices) usedGpu += d.computeMilli;
    placed++;
    pods.push(JSON.stringify({ ...pod, metadata: { ...md, annotations: decisionAnnotations(decision) }, spec: { ...spec, nodeName: decision.node }, status: running }));
  }
  let pages = 0;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '200000' } } })}\n`);
      return; // left open: no changes
    }
    const items = u.pathname === '/api/v1/nodes' ? nodes : u.pathname === '/api/v1/pods' ? pods : [];
    const limit = Number(u.searchParams.get('limit') ?? items.length) || items.length;
    const from = Number(u.searchParams.get('continue') ?? '0');
    const page = items.slice(from, from + limit);
    const more = from + limit < items.length;
    pages++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"200000"${more ? `,"continue":"${from + limit}"` : ''}},"items":[${page.join(',')}]}`);
  });
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    process.send?.({ port, placed, pods: pods.length });
  });
  process.on('message', (m) => {
    if (m === 'pages') process.send?.({ pages });
    if (m === 'exit') process.exit(0);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.serve) return serve(args);
  const self = fileURLToPath(import.meta.url);
  const child = fork(self, [...process.argv.slice(2), '--serve'], { execArgv: self.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port: number; placed: number; pods: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number; placed: number; pods: number }));
    child.once('exit', (code) => reject(new Error(`API server process exited (${code})`)));
  });
  if (typeof global.gc === 'function') global.gc();
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const conn = connectionFrom({ server: `http://127.0.0.1:${ready.port}`, token: 'bench' });
  const log = pino({ level: 'silent' });
  const kube = new KubeClient(conn, { log, pageSize: args.page });
  const service = createService({ kube, log });
  const t = performance.now();
  await service.start();
  const listMs = performance.now() - t;
  if (!service.ready()) throw new Error(`not synced after start: ${service.state.syncMessage}`);
  if (service.state.holdings.size !== ready.placed) throw new Error(`recorded ${service.state.holdings.size} grants, the API server holds ${ready.placed}`);
  if (typeof global.gc === 'function') global.gc();
  const mem = process.memoryUsage();
  child.send('pages');
  const { pages } = await new Promise<{ pages: number }>((resolve) => child.once('message', (m) => resolve(m as { pages: number })));
  const result = {
    nodes: service.state.nodes.size,
    pods: service.state.pods.size,
    grants: service.state.holdings.size,
    pageSize: args.page,
    listRequests: pages,
    listMs: Math.round(listMs),
    compiled: !self.endsWith('.ts'),
    rssBeforeStartMb: Number(rssBeforeMb.toFixed(1)),
    rssMb: Number((mem.rss / 2 ** 20).toFixed(1)),
    peakRssMb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    heapUsedMb: Number((mem.heapUsed / 2 ** 20).toFixed(1)),
    heapTotalMb: Number((mem.heapTotal / 2 ** 20).toFixed(1)),
    externalMb: Number(((mem.external + mem.arrayBuffers) / 2 ** 20).toFixed(1)),
  };
  await service.stop();
  child.send('exit');
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const [key, v] of Object.entries(result)) process.stdout.write(`${key.padEnd(20)} ${v}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`extender-list-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
