/** Builders and a loopback harness for the extender tests. */
import { afterEach } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { NODE_INVENTORY, type NodeInventory, type LinkClass } from '../../core/index.js';
import { MemoryCluster, type MemoryClusterOptions } from '../src/memory-cluster.js';
import { createService, type Service } from '../src/service.js';
import { buildServer } from '../src/server.js';
import { SHARED_FIXTURES as SHARED_FIXTURES_DIR } from '../../bench/shared-dir.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const SHARED_FIXTURES = join(SHARED_FIXTURES_DIR, 'kube');
export const silent = pino({ level: 'silent' });

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Compare with test/golden/<name>.json; UPDATE_GOLDEN=1 rewrites it (review the diff). */
export function golden(name: string, actual: unknown): unknown {
  const path = join(HERE, 'golden', `${name}.json`);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
  }
  return readJson(path);
}

export function nvlinkAll(n: number, link: LinkClass = 'NV12'): LinkClass[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 'X' : link)));
}

export function gpuInventory(name: string, gpus: number, opts: { memoryMiB?: number; model?: string; links?: LinkClass[][] } = {}): NodeInventory {
  return {
    version: 1,
    vendor: 'nvidia',
    devices: Array.from({ length: gpus }, (_, i) => ({
      id: `GPU-${name}-${i}`,
      index: i,
      model: opts.model ?? 'NVIDIA A100-SXM4-80GB',
      memoryMiB: opts.memoryMiB ?? 81920,
      numa: i < gpus / 2 ? 0 : 1,
      health: 'healthy' as const,
    })),
    topology: gpus > 1 ? { kind: 'nvlink', links: opts.links ?? nvlinkAll(gpus) } : { kind: 'none' },
    slotsPerDevice: 10,
  };
}

export function ascendInventory(name: string, fullMesh = false): NodeInventory {
  return {
    version: 1,
    vendor: 'ascend',
    devices: Array.from({ length: 8 }, (_, i) => ({
      id: `Ascend910-${i}`,
      index: i,
      model: fullMesh ? 'Ascend910B' : 'Ascend910',
      memoryMiB: 32768,
      numa: i < 4 ? 0 : 1,
      health: 'healthy' as const,
    })),
    topology: fullMesh ? { kind: 'hccs', groups: [[0, 1, 2, 3, 4, 5, 6, 7]], fullMesh: true } : { kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false },
    slotsPerDevice: 1,
  };
  void name;
}

export function kubeNode(name: string, inventory: NodeInventory | string | null, labels: Record<string, string> = {}): Record<string, unknown> {
  const annotations: Record<string, string> = {};
  if (inventory !== null) annotations[NODE_INVENTORY] = typeof inventory === 'string' ? inventory : JSON.stringify(inventory);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels, annotations },
    status: { allocatable: { cpu: '64', memory: '512Gi', pods: '110' } },
  };
}

export interface PodOpts {
  uid?: string;
  namespace?: string;
  resources?: Record<string, string>;
  containers?: Record<string, string>[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  phase?: string;
}

export function kubePod(name: string, o: PodOpts = {}): Record<string, unknown> {
  const containers = (o.containers ?? [o.resources ?? { 'nvidia.com/gpu': '1' }]).map((r, i) => ({
    name: i === 0 ? 'main' : `c${i}`,
    image: 'example/train:1',
    resources: { limits: r, requests: { cpu: '1', memory: '1Gi', ...r } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'ml', uid: o.uid ?? `uid-${name}`, labels: o.labels ?? {}, annotations: o.annotations ?? {} },
    spec: { schedulerName: 'tessera-scheduler', containers, ...(o.nodeName ? { nodeName: o.nodeName } : {}), ...(o.priority !== undefined ? { priority: o.priority } : {}) },
    status: { phase: o.phase ?? 'Pending' },
  };
}

export interface Harness {
  readonly cluster: MemoryCluster;
  readonly service: Service;
  readonly app: FastifyInstance;
  readonly base: string;
  readonly clock: { now: number };
  post(path: string, body: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export async function startHarness(opts: { cluster?: MemoryCluster; clusterOptions?: MemoryClusterOptions; ttlMs?: number; isLeader?: () => boolean } = {}): Promise<Harness> {
  const cluster = opts.cluster ?? new MemoryCluster(opts.clusterOptions);
  const clock = { now: 1_700_000_000_000 };
  const service = createService({ kube: cluster, log: silent, clock: () => clock.now, reservationTtlMs: opts.ttlMs ?? 30_000, ...(opts.isLeader ? { isLeader: opts.isLeader } : {}) });
  await service.start();
  const app = buildServer(service);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  const base = `http://127.0.0.1:${addr.port}`;
  return {
    cluster,
    service,
    app,
    base,
    clock,
    async post(path, body) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, json };
    },
    async close() {
      await app.close();
      await service.stop();
    },
  };
}

/** Filter args in node-cache mode. */
export function cacheArgs(pod: unknown, names: string[]): Record<string, unknown> {
  return { Pod: pod, Nodes: null, NodeNames: names };
}

/** A harness factory whose harnesses are closed after each test (or earlier with `closeNow`). */
export interface TrackedHarnesses {
  (cluster?: MemoryCluster): Promise<Harness>;
  /** Close one harness now (a restart scenario) so the after-test sweep skips it. */
  closeNow(h: Harness): Promise<void>;
}

/** `const harness = trackedHarnesses();` at file level, then `await harness()` inside tests. */
export function trackedHarnesses(): TrackedHarnesses {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  const make = async (cluster?: MemoryCluster): Promise<Harness> => {
    const h = await startHarness(cluster ? { cluster } : {});
    open.push(h);
    return h;
  };
  return Object.assign(make, {
    async closeNow(h: Harness): Promise<void> {
      await h.close();
      open.splice(open.indexOf(h), 1);
    },
  });
}
