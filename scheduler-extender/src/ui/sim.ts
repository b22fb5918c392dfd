/**
 * A realistic simulated cluster for the resource board's browser tests and screenshots:
 * DGX-like NVIDIA nodes and Ascend nodes in three pools, two tenants with queues, whole and
 * share pods placed through the real filter/bind verbs, pods pending on quota and on
 * devices, and a preemption approved through the real preempt verb. Everything goes through
 * the in-memory Kubernetes (MemoryCluster) and a real server on 127.0.0.1:0.
 */
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { NODE_INVENTORY, type LinkClass, type NodeInventory } from '../../../core/index.js';
import { MemoryCluster } from '../memory-cluster.js';
import { createService, type Service } from '../service.js';
import { buildServer } from '../server.js';
import { usageHistoryOf } from './plugin.js';

export const SIM_TOKENS = {
  /** Cluster operator: RBAC lets them list tenants, so they see everything. */
  admin: 'tok-ops-admin',
  /** Member of tenant "vision" (group vision-team). */
  vision: 'tok-alice-vision',
  /** Member of tenant "nlp" (group nlp-team). */
  nlp: 'tok-bob-nlp',
} as const;

export interface BoardSim {
  readonly base: string;
  readonly cluster: MemoryCluster;
  readonly service: Service;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;

function links(n: number, islands: number[][]): LinkClass[][] {
  const islandOf = (i: number): number => islands.findIndex((g) => g.includes(i));
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 'X' : islandOf(i) === islandOf(j) ? 'NV12' : 'SYS')));
}

function nvidia(name: string, model: string, memoryMiB: number, n: number, opts: { islands?: number[][]; pcie?: boolean; unhealthy?: number[] } = {}): NodeInventory {
  return {
    version: 1,
    vendor: 'nvidia',
    devices: Array.from({ length: n }, (_, i) => ({
      id: `GPU-${name}-${i}`,
      index: i,
      model,
      memoryMiB,
      numa: i < n / 2 ? 0 : 1,
      health: opts.unhealthy?.includes(i) ? ('unhealthy' as const) : ('healthy' as const),
    })),
    topology: { kind: 'nvlink', links: opts.pcie ? links(n, Array.from({ length: n }, (_, i) => [i])).map((r) => r.map((l) => (l === 'SYS' ? 'PHB' : l))) : links(n, opts.islands ?? [Array.from({ length: n }, (_, i) => i)]) },
    slotsPerDevice: 10,
  };
}

function ascend(model: string, fullMesh: boolean): NodeInventory {
  return {
    version: 1,
    vendor: 'ascend',
    devices: Array.from({ length: 8 }, (_, i) => ({ id: `Ascend910-${i}`, index: i, model, memoryMiB: fullMesh ? 65536 : 32768, numa: i < 4 ? 0 : 1, health: 'healthy' as const })),
    topology: fullMesh ? { kind: 'hccs', groups: [[0, 1, 2, 3, 4, 5, 6, 7]], fullMesh: true } : { kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false },
    slotsPerDevice: 1,
  };
}

function node(name: string, pool: string, inv: NodeInventory): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'tessera.io/pool': pool }, annotations: { [NODE_INVENTORY]: JSON.stringify(inv) } },
    status: { allocatable: { cpu: '128', memory: '1024Gi', pods: '110' } },
  };
}

function pod(namespace: string, name: string, resources: Record<string, string>, priority = 0, queue?: { pool: string; queue: string }): Obj {
  const labels = queue === undefined ? {} : { 'tessera.io/pool': queue.pool, 'tessera.io/queue': queue.queue };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, labels, annotations: {} },
    spec: { schedulerName: 'tessera-scheduler', priority, containers: [{ name: 'main', image: 'example/job:1', resources: { limits: resources, requests: { cpu: '4', memory: '16Gi', ...resources } } }] },
    status: { phase: 'Pending' },
  };
}

const POOLS = [
  { metadata: { name: 'training' }, spec: { nodeSelector: { matchLabels: { 'tessera.io/pool': 'training' } }, mode: 'elastic', isolation: 'hami-core' } },
  { metadata: { name: 'test' }, spec: { nodeSelector: { matchLabels: { 'tessera.io/pool': 'test' } }, mode: 'fixed', isolation: 'exclusive' } },
  { metadata: { name: 'inference' }, spec: { nodeSelector: { matchLabels: { 'tessera.io/pool': 'inference' } }, mode: 'mixed', isolation: 'hami-core' } },
];
const TENANTS = [
  { metadata: { name: 'vision' }, spec: { namespaces: ['vision'], members: { groups: ['vision-team'] }, defaultPool: 'training', defaultQueue: 'vision-training' } },
  { metadata: { name: 'nlp' }, spec: { namespaces: ['nlp'], members: { groups: ['nlp-team'] }, defaultPool: 'training', defaultQueue: 'nlp-training' } },
];
const QUEUES = [
  { metadata: { name: 'vision-training' }, spec: { tenant: 'vision', pool: 'training', guarantee: { gpu: '8' }, limit: { gpu: '16' }, lendIdle: true, priority: 100 } },
  { metadata: { name: 'nlp-training' }, spec: { tenant: 'nlp', pool: 'training', guarantee: { gpu: '6' }, limit: { gpu: '8.5' }, lendIdle: true, priority: 100 } },
  { metadata: { name: 'vision-inference' }, spec: { tenant: 'vision', pool: 'inference', guarantee: { gpu: '2' }, limit: { gpu: '3' }, lendIdle: false, priority: 50 } },
  { metadata: { name: 'nlp-test' }, spec: { tenant: 'nlp', pool: 'test', guarantee: { gpu: '8' }, limit: { gpu: '8' }, lendIdle: false, priority: 10 } },
];

const NLP_TEST = { pool: 'test', queue: 'nlp-test' };
const TRAINING = ['dgx-a100-01', 'dgx-a100-02', 'dgx-h100-01'];

/** Start the simulated cluster and the extender's server (admin API + board) on loopback. */
export async function startBoardSim(): Promise<BoardSim> {
  const cluster = new MemoryCluster({
    tokens: {
      [SIM_TOKENS.admin]: { username: 'ops', groups: ['system:masters'] },
      [SIM_TOKENS.vision]: { username: 'alice', groups: ['vision-team'] },
      [SIM_TOKENS.nlp]: { username: 'bob', groups: ['nlp-team'] },
    },
    clusterAdmins: ['ops'],
  });
  // The story starts 20 simulated minutes ago; each step below is one minute later.
  let offsetMs = -20 * 60_000;
  const clock = (): number => Date.now() + offsetMs;
  const service = createService({ kube: cluster, log: pino({ level: 'silent' }), clock, reservationTtlMs: 30_000 });
  await service.start();
  const app = buildServer(service);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('sim server: no TCP address');
  const base = `http://127.0.0.1:${addr.port}`;
  const history = usageHistoryOf(service);

  const post = async (path: string, body: unknown): Promise<Obj> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SIM_TOKENS.admin}` }, body: JSON.stringify(body) });
    const json = (await res.json()) as Obj;
    if (res.status >= 300) throw new Error(`sim: POST ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const step = (): void => {
    offsetMs += 60_000;
    history.sample();
  };
  /** Filter on `nodes`, bind to the first that passes; returns the node or null (pending). */
  const place = async (p: Obj, nodes: string[]): Promise<string | null> => {
    cluster.put('pods', p);
    const f = await post('/filter', { Pod: p, Nodes: null, NodeNames: nodes });
    const passed = (f['NodeNames'] as string[] | null) ?? [];
    const target = passed[0];
    if (target === undefined) {
      if (process.env['TESSERA_SIM_DEBUG'] === '1') console.error(JSON.stringify(f));
      return null;
    }
    const md = p['metadata'] as { name: string; namespace: string; uid: string };
    const b = await post('/bind', { PodName: md.name, PodNamespace: md.namespace, PodUID: md.uid, Node: target });
    if (b['Error'] !== '') throw new Error(`sim: bind ${md.namespace}/${md.name}: ${String(b['Error'])}`);
    return target;
  };
  const must = async (p: Obj, nodes: string[]): Promise<void> => {
    const at = await place(p, nodes);
    const md = p['metadata'] as { name: string; namespace: string };
    if (at === null) throw new Error(`sim: ${md.namespace}/${md.name} was expected to fit on ${nodes.join(', ')}`);
    step();
  };

  cluster.put('nodes', node('dgx-a100-01', 'training', nvidia('dgx-a100-01', 'NVIDIA A100-SXM4-80GB', 81920, 8)));
  cluster.put('nodes', node('dgx-a100-02', 'training', nvidia('dgx-a100-02', 'NVIDIA A100-SXM4-80GB', 81920, 8, { islands: [[0, 1, 2, 3], [4, 5, 6, 7]] })));
  cluster.put('nodes', node('dgx-h100-01', 'training', nvidia('dgx-h100-01', 'NVIDIA H100 80GB HBM3', 81559, 8)));
  cluster.put('nodes', node('ascend-910-01', 'test', ascend('Ascend910', false)));
  cluster.put('nodes', node('ascend-910b-01', 'test', ascend('Ascend910B', true)));
  cluster.put('nodes', node('inf-l40s-01', 'inference', nvidia('inf-l40s-01', 'NVIDIA L40S', 46068, 4, { pcie: true, unhealthy: [3] })));
  for (const p of POOLS) await post('/api/v1/pools', p);
  for (const t of TENANTS) await post('/api/v1/tenants', t);
  for (const q of QUEUES) await post('/api/v1/queues', q);
  step();

  // Training: vision borrows beyond its guarantee of 8 while nlp is mostly idle.
  await must(pod('vision', 'resnet-train', { 'nvidia.com/gpu': '8' }, 100), ['dgx-a100-01']);
  await must(pod('vision', 'vit-finetune', { 'nvidia.com/gpu': '2' }, 100), ['dgx-a100-02']);
  await must(pod('nlp', 'llm-sft', { 'nvidia.com/gpu': '4' }, 100), ['dgx-h100-01']);
  await must(pod('vision', 'detector-train', { 'nvidia.com/gpu': '2' }, 100), ['dgx-h100-01']);
  for (const n of ['notebook-1', 'notebook-2', 'notebook-3']) {
    await must(pod('nlp', n, { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': '20000', 'nvidia.com/gpucores': '30' }), ['dgx-h100-01']);
  }
  // Inference: small shares on L40S cards (device 3 is unhealthy).
  for (const [n, mem] of [['serve-ocr', '8000'], ['serve-embed', '12000'], ['serve-rank', '6000']] as const) {
    await must(pod('vision', n, { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': mem, 'nvidia.com/gpucores': '25' }, 0, { pool: 'inference', queue: 'vision-inference' }), ['inf-l40s-01']);
  }
  // Test pool: whole Ascend chips inside HCCS rings.
  await must(pod('nlp', 'npu-eval', { 'huawei.com/Ascend910': '4' }, 0, NLP_TEST), ['ascend-910-01']);
  await must(pod('nlp', 'npu-smoke', { 'huawei.com/Ascend910': '2' }, 0, NLP_TEST), ['ascend-910b-01']);

  // Pending: nlp is at 4 + 3 × 0.3 = 4.9 of its limit 8.5; 4 more would exceed it (quota).
  if ((await place(pod('nlp', 'llm-pretrain', { 'nvidia.com/gpu': '4' }, 100), TRAINING)) !== null) throw new Error('sim: nlp/llm-pretrain should be refused by quota');
  step();
  // Pending: 8 whole GPUs inside one node: none has 8 free (devices / topology).
  if ((await place(pod('vision', 'clip-pretrain', { 'nvidia.com/gpu': '8' }, 100), TRAINING)) !== null) throw new Error('sim: vision/clip-pretrain should not fit');
  step();

  // Preemption: kube-scheduler proposes both vision pods on dgx-a100-02 and dgx-h100-01 as
  // victims for a high-priority nlp pod; the extender keeps only those whose devices help.
  const urgent = pod('nlp', 'llm-hotfix', { 'nvidia.com/gpu': '2' }, 1000);
  cluster.put('pods', urgent);
  await post('/preempt', {
    Pod: urgent,
    NodeNameToVictims: null,
    NodeNameToMetaVictims: {
      'dgx-h100-01': { Pods: [{ UID: 'uid-vision-detector-train' }, { UID: 'uid-nlp-notebook-1' }], NumPDBViolations: 0 },
    },
  });
  step();
  offsetMs = 0;
  history.sample();

  return {
    base,
    cluster,
    service,
    app,
    async close() {
      await app.close();
      await service.stop();
    },
  };
}
