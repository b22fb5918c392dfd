/**
 * Kubernetes Pod JSON → core `PodRequest`. Everything arrives as `unknown`; every problem
 * throws a PodRequestError that names the container, the resource and the bad value.
 */
import {
  LABEL_POOL,
  LABEL_QUEUE,
  LABEL_QUOTA_MODE,
  percentToMilli,
  type AcceleratorRequest,
  type ContainerRequest,
  type IsolationMode,
  type PodRequest,
} from '../../core/index.js';
import { PodRequestError } from './errors.js';
import type { Pool, Tenant } from './crd.js';
import { cpuToMilli, memoryToMiB, parseCount } from './quantity.js';
import {
  ASCEND_AICORES,
  ASCEND_CHIPS,
  RES_NVIDIA_GPU,
  RES_NVIDIA_GPUCORES,
  RES_NVIDIA_GPUMEM,
  RES_NVIDIA_GPUMEM_PERCENT,
  VNPU_TEMPLATE,
  isAcceleratorResource,
} from './resources.js';

/** What translation needs to know about the cluster (tenants, pools). */
export interface TranslateContext {
  tenantForNamespace(namespace: string): Tenant | undefined;
  pool(name: string): Pool | undefined;
}

export const EMPTY_CONTEXT: TranslateContext = { tenantForNamespace: () => undefined, pool: () => undefined };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(field: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new PodRequestError(`${field}: expected an object of strings, got ${JSON.stringify(v)}`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new PodRequestError(`${field}.${k}: expected a string, got ${JSON.stringify(val)}`);
    out[k] = val;
  }
  return out;
}

/** Identity and labels of a pod, checked. */
export interface PodMeta {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly nodeName: string | undefined;
  readonly schedulerName: string | undefined;
  readonly phase: string | undefined;
}

export function podMeta(pod: unknown): PodMeta {
  if (!isObj(pod)) throw new PodRequestError(`Pod: expected an object, got ${JSON.stringify(pod)}`);
  const md = pod['metadata'];
  if (!isObj(md)) throw new PodRequestError('Pod.metadata: expected an object with name, namespace and uid');
  const name = md['name'];
  const namespace = md['namespace'] ?? 'default';
  const uid = md['uid'] ?? '';
  if (typeof name !== 'string' || name === '') throw new PodRequestError('Pod.metadata.name: expected a non-empty string');
  if (typeof namespace !== 'string') throw new PodRequestError('Pod.metadata.namespace: expected a string');
  if (typeof uid !== 'string') throw new PodRequestError('Pod.metadata.uid: expected a string');
  const spec = isObj(pod['spec']) ? pod['spec'] : {};
  const status = isObj(pod['status']) ? pod['status'] : {};
  const nodeName = typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '' ? spec['nodeName'] : undefined;
  return {
    uid,
    namespace,
    name,
    labels: stringMap('Pod.metadata.labels', md['labels']),
    annotations: stringMap('Pod.metadata.annotations', md['annotations']),
    nodeName,
    schedulerName: typeof spec['schedulerName'] === 'string' ? spec['schedulerName'] : undefined,
    phase: typeof status['phase'] === 'string' ? status['phase'] : undefined,
  };
}

interface ContainerResources {
  readonly name: string;
  /** limits win over requests for extended resources (they must be equal anyway). */
  readonly extended: Record<string, unknown>;
  readonly requests: Record<string, unknown>;
}

function containerList(spec: Obj, key: 'containers' | 'initContainers'): ContainerResources[] {
  const raw = spec[key];
  if (raw === undefined || raw === null) {
    if (key === 'containers') throw new PodRequestError('Pod.spec.containers: expected a non-empty array');
    return [];
  }
  if (!Array.isArray(raw)) throw new PodRequestError(`Pod.spec.${key}: expected an array`);
  return raw.map((c: unknown, i) => {
    if (!isObj(c)) throw new PodRequestError(`Pod.spec.${key}[${i}]: expected an object`);
    const name = typeof c['name'] === 'string' ? c['name'] : `#${i}`;
    const res = isObj(c['resources']) ? c['resources'] : {};
    const limits = res['limits'] ?? {};
    const requests = res['requests'] ?? {};
    if (!isObj(limits)) throw new PodRequestError(`container ${name}: resources.limits must be an object`);
    if (!isObj(requests)) throw new PodRequestError(`container ${name}: resources.requests must be an object`);
    return { name, extended: { ...requests, ...limits }, requests: { ...limits, ...requests } };
  });
}

/** The accelerator request of one container, or null when it asks for none. */
export function containerAccel(c: ContainerResources): AcceleratorRequest | null {
  const keys = Object.keys(c.extended).filter(isAcceleratorResource);
  if (keys.length === 0) return null;
  const where = `container ${c.name}`;
  const nvidia = keys.filter((k) => k.startsWith('nvidia.com/'));
  const ascend = keys.filter((k) => k.startsWith('huawei.com/'));
  if (nvidia.length > 0 && ascend.length > 0) {
    throw new PodRequestError(`${where}: asks for both NVIDIA (${nvidia.join(', ')}) and Ascend (${ascend.join(', ')}) devices; one vendor per container`);
  }
  if (nvidia.length > 0) return nvidiaRequest(where, c.extended);
  if (ascend.length > 1) throw new PodRequestError(`${where}: asks for several Ascend resources (${ascend.join(', ')}); expected exactly one`);
  const res = ascend[0] as string;
  const chip = ASCEND_CHIPS[res];
  if (chip !== undefined) {
    const count = parseCount(`${where} ${res}`, c.extended[res], { min: 1 });
    return { kind: 'whole', vendor: 'ascend', count, allow: chip.allow, deny: chip.deny };
  }
  const m = VNPU_TEMPLATE.exec(res);
  if (m === null) throw new PodRequestError(`${where}: unknown Ascend resource ${res}`);
  const family = m[1] as string;
  const cores = Number(m[2]);
  const perChip = ASCEND_AICORES[family] ?? 32;
  if (cores < 1 || cores > perChip) {
    throw new PodRequestError(`${where} ${res}: template asks for ${cores} AI cores, a ${family} chip has ${perChip}`);
  }
  const count = parseCount(`${where} ${res}`, c.extended[res], { min: 1 });
  return {
    kind: 'share',
    vendor: 'ascend',
    count,
    computeMilli: Math.round((cores * 1000) / perChip),
    template: `${cores}c`,
    allow: [family],
  };
}

function nvidiaRequest(where: string, ext: Record<string, unknown>): AcceleratorRequest {
  const has = (k: string): boolean => ext[k] !== undefined;
  if (!has(RES_NVIDIA_GPU)) {
    const extra = [RES_NVIDIA_GPUMEM, RES_NVIDIA_GPUMEM_PERCENT, RES_NVIDIA_GPUCORES].filter(has);
    throw new PodRequestError(`${where}: ${extra.join(', ')} needs ${RES_NVIDIA_GPU} (the number of GPUs to share) in the same container`);
  }
  const count = parseCount(`${where} ${RES_NVIDIA_GPU}`, ext[RES_NVIDIA_GPU], { min: 1 });
  if (has(RES_NVIDIA_GPUMEM) && has(RES_NVIDIA_GPUMEM_PERCENT)) {
    throw new PodRequestError(`${where}: set either ${RES_NVIDIA_GPUMEM} or ${RES_NVIDIA_GPUMEM_PERCENT}, not both`);
  }
  if (!has(RES_NVIDIA_GPUMEM) && !has(RES_NVIDIA_GPUMEM_PERCENT) && !has(RES_NVIDIA_GPUCORES)) {
    return { kind: 'whole', vendor: 'nvidia', count };
  }
  const memoryMiB = has(RES_NVIDIA_GPUMEM) ? parseCount(`${where} ${RES_NVIDIA_GPUMEM}`, ext[RES_NVIDIA_GPUMEM], { min: 1 }) : undefined;
  const memoryPercent = has(RES_NVIDIA_GPUMEM_PERCENT)
    ? parseCount(`${where} ${RES_NVIDIA_GPUMEM_PERCENT}`, ext[RES_NVIDIA_GPUMEM_PERCENT], { min: 1, max: 100 })
    : undefined;
  const cores = has(RES_NVIDIA_GPUCORES) ? parseCount(`${where} ${RES_NVIDIA_GPUCORES}`, ext[RES_NVIDIA_GPUCORES], { min: 0, max: 100 }) : undefined;
  return {
    kind: 'share',
    vendor: 'nvidia',
    count,
    ...(memoryMiB !== undefined ? { memoryMiB } : {}),
    ...(memoryPercent !== undefined ? { memoryPercent } : {}),
    ...(cores !== undefined ? { computeMilli: percentToMilli(cores) } : {}),
  };
}

function sumRequests(list: ContainerResources[], where: string): { cpuMilli: number; memoryMiB: number }[] {
  return list.map((c) => ({
    cpuMilli: c.requests['cpu'] === undefined ? 0 : cpuToMilli(`${where} ${c.name} cpu`, c.requests['cpu']),
    memoryMiB: c.requests['memory'] === undefined ? 0 : memoryToMiB(`${where} ${c.name} memory`, c.requests['memory']),
  }));
}

/** Translate a pod; `ctx` resolves the tenant default pool/queue and the pool's isolation. */
export function translatePod(pod: unknown, ctx: TranslateContext = EMPTY_CONTEXT): PodRequest {
  const meta = podMeta(pod);
  const spec = (pod as Obj)['spec'];
  if (!isObj(spec)) throw new PodRequestError('Pod.spec: expected an object');
  const containers = containerList(spec, 'containers');
  const inits = containerList(spec, 'initContainers');
  for (const ic of inits) {
    if (containerAccel(ic) !== null) {
      throw new PodRequestError(`init container ${ic.name}: init containers cannot be given accelerators; request them in a regular container`);
    }
  }
  const reqs: ContainerRequest[] = [];
  containers.forEach((c, index) => {
    const accel = containerAccel(c);
    if (accel !== null) reqs.push({ name: c.name, index, accel });
  });
  const main = sumRequests(containers, 'container');
  const init = sumRequests(inits, 'init container');
  const cpuMilli = Math.max(main.reduce((s, r) => s + r.cpuMilli, 0), ...init.map((r) => r.cpuMilli), 0);
  const memoryMiB = Math.max(main.reduce((s, r) => s + r.memoryMiB, 0), ...init.map((r) => r.memoryMiB), 0);
  const prio = spec['priority'];
  if (prio !== undefined && prio !== null && (typeof prio !== 'number' || !Number.isInteger(prio))) {
    throw new PodRequestError(`Pod.spec.priority: expected an integer, got ${JSON.stringify(prio)}`);
  }
  const nodeSelector = stringMap('Pod.spec.nodeSelector', spec['nodeSelector']);
  const tenant = ctx.tenantForNamespace(meta.namespace);
  const poolName = meta.labels[LABEL_POOL] ?? nodeSelector[LABEL_POOL] ?? tenant?.spec.defaultPool;
  const queue = meta.labels[LABEL_QUEUE] ?? tenant?.spec.defaultQueue;
  const isolation = isolationFor(reqs, poolName === undefined ? undefined : ctx.pool(poolName));
  const modeLabel = meta.labels[LABEL_QUOTA_MODE];
  if (modeLabel !== undefined && modeLabel !== 'elastic' && modeLabel !== 'fixed') {
    throw new PodRequestError(`label ${LABEL_QUOTA_MODE}: expected "elastic" or "fixed", got "${modeLabel}"`);
  }
  return {
    uid: meta.uid,
    namespace: meta.namespace,
    name: meta.name,
    cpuMilli,
    memoryMiB,
    priority: typeof prio === 'number' ? prio : 0,
    containers: reqs,
    ...(isolation !== undefined ? { isolation } : {}),
    ...(poolName !== undefined ? { pool: poolName } : {}),
    ...(queue !== undefined ? { queue } : {}),
    labels: meta.labels,
  };
}

function isolationFor(reqs: readonly ContainerRequest[], pool: Pool | undefined): IsolationMode | undefined {
  if (reqs.length === 0) return undefined;
  const shares = reqs.filter((r) => r.accel.kind === 'share');
  if (shares.length === 0) return 'exclusive';
  if (shares.some((r) => r.accel.kind === 'share' && r.accel.template !== undefined)) return 'vnpu';
  const iso = pool?.spec.isolation as IsolationMode | undefined;
  if (iso !== undefined && iso !== 'exclusive' && iso !== 'vnpu') return iso;
  return 'hami-core';
}
