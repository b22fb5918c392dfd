/**
 * Admission webhook (AdmissionReview v1). Mutating: send accelerator pods to the Tessera
 * scheduler profile, inject the downward-API env of docs/handoff.md §2, strip user-supplied
 * decision annotations. Validating: reject accelerator requests that can never be valid.
 */
import {
  DECISION_ANNOTATION_PREFIXES,
  POD_CORE_LIMIT,
  POD_MEMORY_LIMIT,
  POD_VISIBLE_DEVICES,
  containerKey,
  type PodRequest,
} from '../../core/index.js';
import type { ClusterState } from './cluster-state.js';
import { messageOf } from './errors.js';
import { translatePod } from './translate.js';

export const TESSERA_SCHEDULER = 'tessera-scheduler';

export interface JsonPatchOp {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string;
  readonly value?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code: number; message: string };
  warnings?: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON Pointer escaping of one path segment (RFC 6901). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isDecisionKey(key: string): boolean {
  return DECISION_ANNOTATION_PREFIXES.some((p) => key === p || key.startsWith(`${p}.`));
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

function fromAnnotation(name: string, key: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${key}']` } } };
}

/** The env a container gets so it reads its own decision (handoff §2). */
export function decisionEnv(pod: PodRequest, containerIndex: number): EnvVar[] {
  const c = pod.containers.find((x) => x.index === containerIndex);
  if (c === undefined) return [];
  const devices = containerKey(POD_VISIBLE_DEVICES, containerIndex);
  if (c.accel.vendor === 'ascend') return [fromAnnotation('ASCEND_VISIBLE_DEVICES', devices)];
  const env = [fromAnnotation('NVIDIA_VISIBLE_DEVICES', devices)];
  if (c.accel.kind !== 'share') return env;
  const mem = containerKey(POD_MEMORY_LIMIT, containerIndex);
  const core = containerKey(POD_CORE_LIMIT, containerIndex);
  if (pod.isolation === 'mps') {
    env.push(fromAnnotation('CUDA_MPS_PINNED_DEVICE_MEM_LIMIT', mem), fromAnnotation('CUDA_MPS_ACTIVE_THREAD_PERCENTAGE', core));
    return env;
  }
  if (c.accel.memoryMiB !== undefined || c.accel.memoryPercent !== undefined) {
    for (let k = 0; k < c.accel.count; k++) env.push(fromAnnotation(`CUDA_DEVICE_MEMORY_LIMIT_${k}`, mem));
  }
  if (c.accel.computeMilli !== undefined) env.push(fromAnnotation('CUDA_DEVICE_SM_LIMIT', core));
  return env;
}

/** JSONPatch for a Pod on CREATE; empty when nothing changes. */
export function mutatePod(pod: unknown, state: ClusterState | undefined, schedulerName = TESSERA_SCHEDULER): { patch: JsonPatchOp[]; warnings: string[] } {
  const patch: JsonPatchOp[] = [];
  const warnings: string[] = [];
  if (!isObj(pod)) return { patch, warnings };
  const md = isObj(pod['metadata']) ? pod['metadata'] : {};
  const ann = isObj(md['annotations']) ? md['annotations'] : {};
  for (const key of Object.keys(ann)) {
    if (isDecisionKey(key)) {
      patch.push({ op: 'remove', path: `/metadata/annotations/${pointerSegment(key)}` });
      warnings.push(`annotation ${key} is set by Tessera only; removed`);
    }
  }
  let req: PodRequest;
  try {
    req = translatePod(pod, state);
  } catch {
    return { patch, warnings }; // the validating webhook rejects it with the reason
  }
  if (req.containers.length === 0) return { patch, warnings };
  const spec = pod['spec'] as Obj;
  patch.push({ op: spec['schedulerName'] === undefined ? 'add' : 'replace', path: '/spec/schedulerName', value: schedulerName });
  const containers = spec['containers'] as Obj[];
  for (const c of req.containers) {
    const env = decisionEnv(req, c.index);
    const names = new Set(env.map((e) => e.name));
    const existing = Array.isArray(containers[c.index]?.['env']) ? (containers[c.index]?.['env'] as EnvVar[]) : [];
    const kept = existing.filter((e) => !names.has(e.name));
    if (kept.length !== existing.length) warnings.push(`container ${c.name}: env ${[...names].filter((n) => existing.some((e) => e.name === n)).join(', ')} replaced by Tessera`);
    patch.push({ op: 'add', path: `/spec/containers/${c.index}/env`, value: [...kept, ...env] });
  }
  return { patch, warnings };
}

/** Null when valid, else the reason the pod can never be scheduled as written. */
export function validatePod(pod: unknown, state: ClusterState | undefined): string | null {
  let req: PodRequest;
  try {
    req = translatePod(pod, state);
  } catch (err) {
    return messageOf(err);
  }
  const nodes = state === undefined ? [] : [...state.nodes.values()].map((e) => e.node);
  for (const c of req.containers) {
    const a = c.accel;
    const sameVendor = nodes.filter((n) => n.devices.some((d) => d.vendor === a.vendor));
    const isAscend910Whole = a.vendor === 'ascend' && a.kind === 'whole' && (a.allow ?? []).includes('Ascend910');
    if (isAscend910Whole && ![1, 2, 4, 8].includes(a.count)) {
      const fullMesh = sameVendor.some((n) => n.topology.kind === 'hccs' && n.topology.fullMesh && n.devices.length >= a.count);
      if (!fullMesh) {
        return `container ${c.name}: huawei.com/Ascend910: ${a.count} chips is not allowed on Atlas 800 (HCCS rings): ask for 1, 2, 4 or 8 per pod`;
      }
    }
    if (sameVendor.length === 0) continue; // no inventory known yet: nothing more to check against
    const most = Math.max(...sameVendor.map((n) => n.devices.length));
    if (a.count > most) return `container ${c.name}: asks for ${a.count} ${a.vendor === 'nvidia' ? 'GPUs' : 'NPUs'}, the largest node has ${most}`;
    if (a.kind === 'share' && a.memoryMiB !== undefined) {
      const maxMem = Math.max(...sameVendor.flatMap((n) => n.devices.map((d) => d.memoryMiB)));
      if (a.memoryMiB > maxMem) return `container ${c.name}: nvidia.com/gpumem ${a.memoryMiB} MiB is more than any GPU has (largest: ${maxMem} MiB)`;
    }
  }
  return null;
}

export type AdmissionKind = 'mutate' | 'validate';

/** Handle one AdmissionReview body; never throws. */
export function review(kind: AdmissionKind, body: unknown, state: ClusterState | undefined, schedulerName = TESSERA_SCHEDULER): { status: number; body: unknown } {
  if (!isObj(body) || !isObj(body['request'])) {
    return { status: 400, body: { code: 'EXT_ERR_BAD_ARGS', message: `${kind}: expected an AdmissionReview (admission.k8s.io/v1) with a request object` } };
  }
  const request = body['request'];
  const uid = typeof request['uid'] === 'string' ? request['uid'] : '';
  const respond = (response: Omit<AdmissionResponse, 'uid'>): { status: number; body: unknown } => ({
    status: 200,
    body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, ...response } },
  });
  const k = isObj(request['kind']) ? request['kind'] : {};
  const op = request['operation'];
  if (k['kind'] !== 'Pod' || (op !== 'CREATE' && op !== 'UPDATE')) return respond({ allowed: true });
  const pod = request['object'];
  if (kind === 'validate') {
    const problem = validatePod(pod, state);
    return problem === null ? respond({ allowed: true }) : respond({ allowed: false, status: { code: 422, message: `Tessera: ${problem}` } });
  }
  if (op !== 'CREATE') return respond({ allowed: true });
  const { patch, warnings } = mutatePod(pod, state, schedulerName);
  if (patch.length === 0) return respond({ allowed: true, ...(warnings.length ? { warnings } : {}) });
  return respond({
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
    ...(warnings.length ? { warnings } : {}),
  });
}
