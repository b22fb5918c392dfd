/** Which queue a pod counts against: the `tessera.io/queue` label, else its tenant's default queue. */
import { LABEL_QUEUE } from '../annotations.js';
import type { QuotaBook } from './quota-book.js';

export type QueueResolution =
  | { readonly kind: 'queue'; readonly queue: string; readonly tenant: string }
  | { readonly kind: 'none'; readonly reason: string };

export function resolveQueue(
  book: QuotaBook,
  namespace: string,
  labels: Readonly<Record<string, string>> = {},
): QueueResolution {
  const tenant = [...book.tenants.values()].find((t) => t.namespaces.includes(namespace));
  const label = labels[LABEL_QUEUE];
  if (label !== undefined) {
    const q = book.queues.get(label);
    if (q === undefined) return { kind: 'none', reason: `label ${LABEL_QUEUE}=${label}: no such queue` };
    if (tenant !== undefined && q.tenant !== tenant.name) {
      return { kind: 'none', reason: `label ${LABEL_QUEUE}=${label}: queue belongs to tenant ${q.tenant}, namespace ${namespace} to tenant ${tenant.name}` };
    }
    return { kind: 'queue', queue: q.name, tenant: q.tenant };
  }
  if (tenant === undefined) return { kind: 'none', reason: `namespace ${namespace} belongs to no tenant` };
  if (tenant.defaultQueue === undefined) {
    return { kind: 'none', reason: `tenant ${tenant.name} has no default queue and the pod has no ${LABEL_QUEUE} label` };
  }
  return { kind: 'queue', queue: tenant.defaultQueue, tenant: tenant.name };
}
