/**
 * Queue usage over time from Prometheus, when one scrapes the extender: a range query of
 * `tessera_extender_queue_gpus` (metrics.ts; kind = guarantee | limit | used | borrowed | lent,
 * limit -1 = unlimited), turned into the same samples as the in-memory history.
 */
import type { QueueSample, UsageSample } from './history.js';

export interface PromRange {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepS: number;
}

export const QUEUE_METRIC = 'tessera_extender_queue_gpus';

interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

function problem(what: string): Error {
  return new Error(`Prometheus ${what}; expected a query_range answer with status "success" and a matrix of ${QUEUE_METRIC}`);
}

/** Ask Prometheus at `baseUrl` (e.g. http://prometheus:9090) for the queue gauges over `range`. */
export async function promQueueHistory(baseUrl: string, range: PromRange, timeoutMs = 5000): Promise<UsageSample[]> {
  const url = new URL('api/v1/query_range', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', QUEUE_METRIC);
  url.searchParams.set('start', String(range.startMs / 1000));
  url.searchParams.set('end', String(range.endMs / 1000));
  url.searchParams.set('step', String(range.stepS));
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw problem(`answered HTTP ${res.status} (${text.slice(0, 200)})`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw problem('answered something that is not JSON');
  }
  return samplesFromMatrix(body);
}

/** Convert a query_range answer into samples, oldest first. */
export function samplesFromMatrix(body: unknown): UsageSample[] {
  const b = body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } };
  if (b?.status !== 'success' || b.data?.resultType !== 'matrix' || !Array.isArray(b.data.result)) throw problem(`answered ${JSON.stringify(body).slice(0, 200)}`);
  const byTime = new Map<number, Map<string, Record<string, number | string | null>>>();
  for (const s of b.data.result as Series[]) {
    const { queue, tenant, pool, kind } = s.metric ?? {};
    if (!queue || !tenant || !pool || !kind || !['guarantee', 'limit', 'used', 'borrowed', 'lent'].includes(kind) || !Array.isArray(s.values)) continue;
    for (const [t, v] of s.values) {
      const atMs = Math.round(Number(t) * 1000);
      const x = Number(v);
      if (!Number.isFinite(atMs) || Number.isNaN(x)) continue;
      const queues = byTime.get(atMs) ?? new Map<string, Record<string, number | string | null>>();
      const row = queues.get(queue) ?? { queue, tenant, pool, guarantee: 0, limit: null, used: 0, borrowed: 0, lent: 0 };
      row[kind] = kind === 'limit' && x < 0 ? null : x;
      queues.set(queue, row);
      byTime.set(atMs, queues);
    }
  }
  return [...byTime.keys()]
    .sort((a, c) => a - c)
    .map((atMs) => ({ atMs, queues: [...(byTime.get(atMs)?.values() ?? [])].sort((a, c) => String(a['queue']).localeCompare(String(c['queue']))) as unknown as QueueSample[] }));
}
