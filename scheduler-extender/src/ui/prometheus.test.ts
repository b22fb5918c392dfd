/** History from Prometheus: a fake Prometheus on loopback answers query_range like the real one. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplesFromMatrix } from './prometheus.js';
import { SIM_TOKENS, startBoardSim, type BoardSim } from './sim.js';

const series = (queue: string, tenant: string, kind: string, values: [number, string][]) => ({ metric: { __name__: 'tessera_extender_queue_gpus', queue, tenant, pool: 'training', kind }, values });
const MATRIX = {
  status: 'success',
  data: {
    resultType: 'matrix',
    result: [
      series('nlp-training', 'nlp', 'used', [[1000, '1'], [1030, '2.5']]),
      series('nlp-training', 'nlp', 'guarantee', [[1000, '6'], [1030, '6']]),
      series('nlp-training', 'nlp', 'limit', [[1000, '-1'], [1030, '-1']]),
      series('vision-training', 'vision', 'used', [[1000, '8'], [1030, '12']]),
      series('vision-training', 'vision', 'borrowed', [[1030, '4']]),
    ],
  },
};

let prom: Server;
let promBase = '';
let answer: { status: number; body: unknown } = { status: 200, body: MATRIX };
const queries: URLSearchParams[] = [];
let sim: BoardSim;

beforeAll(async () => {
  prom = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/prom/api/v1/query_range') {
      res.writeHead(404).end('not found');
      return;
    }
    queries.push(u.searchParams);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
  const a = prom.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  promBase = `http://127.0.0.1:${a.port}/prom`;
  process.env['TESSERA_UI_PROMETHEUS_URL'] = promBase;
  sim = await startBoardSim();
});
afterAll(async () => {
  delete process.env['TESSERA_UI_PROMETHEUS_URL'];
  await sim?.close();
  await new Promise((r) => prom.close(r));
});

async function history(token: string, query = ''): Promise<any> {
  const res = await fetch(`${sim.base}/api/v1/usage/history${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json();
}

describe('usage history from Prometheus', () => {
  it('converts the matrix into samples and filters them to the caller\u2019s tenants', async () => {
    answer = { status: 200, body: MATRIX };
    const all = await history(SIM_TOKENS.admin);
    expect(all.source).toBe('prometheus');
    expect(queries.at(-1)?.get('query')).toBe('tessera_extender_queue_gpus');
    expect(all.samples.map((s: any) => s.atMs)).toEqual([1_000_000, 1_030_000]);
    expect(all.samples[1].queues).toEqual([
      { queue: 'nlp-training', tenant: 'nlp', pool: 'training', guarantee: 6, limit: null, used: 2.5, borrowed: 0, lent: 0 },
      { queue: 'vision-training', tenant: 'vision', pool: 'training', guarantee: 0, limit: null, used: 12, borrowed: 4, lent: 0 },
    ]);
    const nlp = await history(SIM_TOKENS.nlp);
    expect(nlp.samples.flatMap((s: any) => s.queues.map((q: any) => q.queue))).toEqual(['nlp-training', 'nlp-training']);
    // The in-memory history stays available on request.
    expect((await history(SIM_TOKENS.admin, '?source=memory')).source).toBe('memory');
  });

  it('falls back to the in-memory history, saying why, when Prometheus fails', async () => {
    answer = { status: 503, body: { status: 'error', error: 'overloaded' } };
    const h = await history(SIM_TOKENS.admin);
    expect(h.source).toBe('memory');
    expect(h.problem).toMatch(/HTTP 503/);
    expect(h.samples.length).toBeGreaterThan(0);
  });

  it('names what is wrong with a malformed answer', () => {
    expect(() => samplesFromMatrix({ status: 'success', data: { resultType: 'vector', result: [] } })).toThrow(/expected a query_range answer with status "success" and a matrix/);
    expect(() => samplesFromMatrix('nope')).toThrow(/Prometheus answered "nope"/);
    // Series without the queue labels or with unknown kinds are ignored, not fatal.
    expect(samplesFromMatrix({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { kind: 'used' }, values: [[1, '1']] }] } })).toEqual([]);
  });
});
