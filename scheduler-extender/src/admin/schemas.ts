/**
 * JSON shapes of the admin API (`/api/v1/…`), as TypeBox schemas: they validate inputs,
 * describe outputs, and are the components of the OpenAPI document (openapi.ts).
 * Amounts are GPU equivalents (fractional numbers) and MiB; `null` means unlimited.
 */
import { Type, type Static } from 'typebox';
import { Pool, Queue, Tenant } from '../crd.js';

export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() }, { $id: 'Error' });

export const GpuAmount = Type.Object(
  { gpu: Type.Union([Type.Number(), Type.Null()]), memoryMiB: Type.Union([Type.Number(), Type.Null()]) },
  { $id: 'GpuAmount', description: 'GPU equivalents (fractional) and device memory in MiB; null = unlimited' },
);
export type GpuAmount = Static<typeof GpuAmount>;

export const QueueUsage = Type.Object(
  {
    queue: Type.String(),
    tenant: Type.String(),
    pool: Type.String(),
    poolMode: Type.String(),
    model: Type.Union([Type.String(), Type.Null()]),
    priority: Type.Number(),
    guarantee: GpuAmount,
    limit: GpuAmount,
    used: GpuAmount,
    borrowed: GpuAmount,
    lent: GpuAmount,
    availableToBorrow: GpuAmount,
    pods: Type.Integer(),
    pending: Type.Integer(),
  },
  { $id: 'QueueUsage' },
);

export const PodRef = Type.Object(
  { namespace: Type.String(), name: Type.String(), uid: Type.String() },
  { $id: 'PodRef', description: 'namespace/name are "(hidden)" for pods of tenants the caller does not belong to' },
);

export const DeviceShareView = Type.Object(
  {
    pod: PodRef,
    container: Type.String(),
    memoryMiB: Type.Number(),
    computeMilli: Type.Number(),
    exclusive: Type.Boolean(),
    state: Type.Union([Type.Literal('bound'), Type.Literal('decided'), Type.Literal('reserved')]),
  },
  { $id: 'DeviceShare' },
);

export const DeviceView = Type.Object(
  {
    id: Type.String(),
    index: Type.Integer(),
    model: Type.String(),
    health: Type.String(),
    memoryMiB: Type.Number(),
    usedMemoryMiB: Type.Number(),
    usedComputeMilli: Type.Number(),
    exclusive: Type.Boolean(),
    group: Type.Union([Type.Integer(), Type.Null()], { description: 'interconnect group (HCCS ring / NVLink island) index' }),
    shares: Type.Array(DeviceShareView),
  },
  { $id: 'Device' },
);

export const NodeView = Type.Object(
  {
    name: Type.String(),
    pool: Type.Union([Type.String(), Type.Null()]),
    vendor: Type.Union([Type.String(), Type.Null()]),
    problem: Type.Union([Type.String(), Type.Null()]),
    cpu: Type.Object({ capacityMilli: Type.Number(), usedMilli: Type.Number() }),
    memory: Type.Object({ capacityMiB: Type.Number(), usedMiB: Type.Number() }),
    interconnect: Type.Object({ kind: Type.String(), groups: Type.Array(Type.Array(Type.Integer())) }),
    devices: Type.Array(DeviceView),
  },
  { $id: 'Node' },
);

export const PendingView = Type.Object(
  {
    pod: PodRef,
    queue: Type.Union([Type.String(), Type.Null()]),
    reason: Type.String({ description: 'reason class: quota, cpu, memory, devices, device-memory, topology, …' }),
    summary: Type.String(),
    nodes: Type.Record(Type.String(), Type.String()),
    sinceMs: Type.Number(),
  },
  { $id: 'PendingPod' },
);

export const WhyView = Type.Object(
  {
    pod: PodRef,
    phase: Type.String({ description: 'bound | decided | reserved | pending | not-tessera' }),
    node: Type.Union([Type.String(), Type.Null()]),
    request: Type.Union([Type.String(), Type.Null()], { description: 'what the pod asks for, in words' }),
    problems: Type.Array(Type.String(), { description: 'invalid requests, ignored annotations' }),
    quota: Type.Object({ ok: Type.Boolean(), queue: Type.Union([Type.String(), Type.Null()]), message: Type.String() }),
    fit: Type.Object({
      nodes: Type.Integer(),
      feasible: Type.Integer(),
      byReason: Type.Record(Type.String(), Type.Integer()),
      sample: Type.Record(Type.String(), Type.String()),
      best: Type.Union([Type.Object({ node: Type.String(), score: Type.Number(), devices: Type.Array(Type.String()) }), Type.Null()]),
    }),
    topology: Type.Array(Type.String()),
    lastFilter: Type.Union([PendingView, Type.Null()]),
  },
  { $id: 'Why' },
);

export const PreemptionView = Type.Object(
  {
    atMs: Type.Number(),
    kind: Type.String(),
    node: Type.String(),
    preemptor: PodRef,
    victims: Type.Array(Type.String()),
    dropped: Type.Array(Type.Object({ uid: Type.String(), why: Type.String() })),
    reason: Type.Optional(Type.String()),
    hiddenVictims: Type.Optional(Type.Integer({ description: 'victims in namespaces the caller may not see (tenant members only)' })),
    hiddenDropped: Type.Optional(Type.Integer({ description: 'spared pods in namespaces the caller may not see (tenant members only)' })),
  },
  { $id: 'Preemption' },
);

export const ObjectName = Type.Object({ name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 }) });
export const PodPath = Type.Object({ namespace: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }) });

export const CRD_SCHEMAS = { pools: Pool, tenants: Tenant, queues: Queue } as const;
