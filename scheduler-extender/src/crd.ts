/**
 * Tessera custom resources (docs/crds.md) as TypeBox schemas: the admin API validates
 * its bodies with them and the cluster cache checks what the informers deliver.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

export const CRD_GROUP = 'tessera.io';
export const CRD_VERSION = 'v1alpha1';

export const Amount = Type.Object(
  {
    gpu: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' }), Type.Number({ minimum: 0 })])),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 0 })),
    model: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type Amount = Static<typeof Amount>;

const Subjects = Type.Object(
  { users: Type.Optional(Type.Array(Type.String())), groups: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: false },
);

const Meta = Type.Object({ name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 }) });

export const LabelSelector = Type.Object({
  matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
  matchExpressions: Type.Optional(
    Type.Array(
      Type.Object({
        key: Type.String(),
        operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
        values: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
});
export type LabelSelector = Static<typeof LabelSelector>;

export const PoolSpec = Type.Object({
  nodeSelector: Type.Optional(LabelSelector),
  mode: Type.Union([Type.Literal('elastic'), Type.Literal('fixed'), Type.Literal('mixed')]),
  isolation: Type.Optional(
    Type.Union([
      Type.Literal('exclusive'),
      Type.Literal('hami-core'),
      Type.Literal('mps'),
      Type.Literal('mig'),
      Type.Literal('time-slicing'),
      Type.Literal('vnpu'),
    ]),
  ),
  computeOvercommit: Type.Optional(Type.Number({ minimum: 1 })),
});
export const Pool = Type.Object({ metadata: Meta, spec: PoolSpec });
export type Pool = Static<typeof Pool>;

export const TenantSpec = Type.Object({
  namespaces: Type.Array(Type.String()),
  admins: Type.Optional(Subjects),
  members: Type.Optional(Subjects),
  defaultPool: Type.Optional(Type.String()),
  defaultQueue: Type.Optional(Type.String()),
});
export const Tenant = Type.Object({ metadata: Meta, spec: TenantSpec });
export type Tenant = Static<typeof Tenant>;

export const QueueSpec = Type.Object({
  tenant: Type.String({ minLength: 1 }),
  pool: Type.String({ minLength: 1 }),
  guarantee: Amount,
  limit: Type.Optional(Amount),
  lendIdle: Type.Optional(Type.Boolean()),
  priority: Type.Optional(Type.Integer()),
});
export const Queue = Type.Object({ metadata: Meta, spec: QueueSpec });
export type Queue = Static<typeof Queue>;

export type CrdKind = 'pools' | 'tenants' | 'queues';
export const CRD_KINDS: readonly CrdKind[] = ['pools', 'tenants', 'queues'];
export const CRD_KIND_NAME: Record<CrdKind, string> = { pools: 'Pool', tenants: 'Tenant', queues: 'Queue' };

const SCHEMA = { pools: Pool, tenants: Tenant, queues: Queue } as const;

/** Check a custom object from the API server; returns a message naming the first problem, or null. */
export function crdProblem(kind: CrdKind, obj: unknown): string | null {
  const schema = SCHEMA[kind];
  if (Value.Check(schema, obj)) {
    if (kind === 'queues') return queueLimitProblem(obj as Queue);
    return null;
  }
  const first = Value.Errors(schema, obj)[0];
  if (first === undefined) return `${CRD_KIND_NAME[kind]}: invalid object`;
  return `${CRD_KIND_NAME[kind]}: ${first.instancePath || '/'} ${first.message}`;
}

function queueLimitProblem(q: Queue): string | null {
  const g = amountGpu(q.spec.guarantee);
  if (q.spec.limit !== undefined && amountGpu(q.spec.limit) < g && q.spec.limit.gpu !== undefined) {
    return `Queue ${q.metadata.name}: spec.limit.gpu (${amountGpu(q.spec.limit)}) must be >= spec.guarantee.gpu (${g})`;
  }
  return null;
}

/** GPU equivalents of an amount (0 when unset). */
export function amountGpu(a: Amount | undefined): number {
  if (a === undefined || a.gpu === undefined) return 0;
  return typeof a.gpu === 'number' ? a.gpu : Number(a.gpu);
}

/** True when `labels` satisfy `sel` (Kubernetes LabelSelector semantics). */
export function selectorMatches(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (sel === undefined) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(val as string)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(val as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
