/** Test builders for quota books (GPU amounts in whole GPUs for readability). */
import { gpus } from '../amount.js';
import { QuotaBook } from '../quota-book.js';
import type { AdmitRequest, PoolMode, QueueSpec, QuotaMode } from '../types.js';

export interface QueueShape {
  readonly name: string;
  readonly pool?: string;
  readonly guarantee: number;
  readonly limit?: number;
  readonly lend?: boolean;
  readonly priority?: number;
}

export function makeBook(pools: Record<string, PoolMode>, queues: readonly QueueShape[]): QuotaBook {
  const specs: QueueSpec[] = queues.map((q) => ({
    name: q.name,
    tenant: `t-${q.name}`,
    pool: q.pool ?? Object.keys(pools)[0] ?? 'p',
    guarantee: gpus(q.guarantee),
    ...(q.limit === undefined ? {} : { limit: gpus(q.limit) }),
    lendIdle: q.lend ?? true,
    priority: q.priority ?? 0,
  }));
  return new QuotaBook({
    pools: Object.entries(pools).map(([name, mode]) => ({ name, mode })),
    tenants: queues.map((q) => ({ name: `t-${q.name}`, namespaces: [`ns-${q.name}`] })),
    queues: specs,
  });
}

export function req(id: string, queue: string, gpuCount: number, priority = 0, quotaMode?: QuotaMode): AdmitRequest {
  return { id, queue, amount: gpus(gpuCount), priority, ...(quotaMode === undefined ? {} : { quotaMode }) };
}

/** Admit or fail the test setup loudly. */
export function mustAdmit(book: QuotaBook, r: AdmitRequest, now = 0): void {
  const d = book.admit(r, now);
  if (d.kind !== 'admitted') throw new Error(`setup: ${r.id} not admitted (${d.kind})`);
}
