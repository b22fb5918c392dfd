/** Admission webhook over real HTTPS on loopback: decode the JSONPatch, apply it, check the pod. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { buildWebhookServer, selfSignedTls, type TlsPair } from '../src/webhook-server.js';
import { ascendInventory, golden, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

let tls: TlsPair;
beforeAll(() => {
  tls = selfSignedTls(['127.0.0.1']);
});

let h: Harness | null = null;
let wh: FastifyInstance | null = null;
afterEach(async () => {
  await wh?.close();
  await h?.close();
  wh = null;
  h = null;
});

async function start(): Promise<{ post: (path: string, body: unknown) => Promise<{ status: number; json: any }> }> {
  h = await startHarness();
  h.cluster.put('nodes', kubeNode('g1', gpuInventory('g1', 8, { memoryMiB: 40960 })));
  h.cluster.put('nodes', kubeNode('a1', ascendInventory('a1')));
  wh = buildWebhookServer(h.service, tls);
  await wh.listen({ host: '127.0.0.1', port: 0 });
  const port = (wh.server.address() as { port: number }).port;
  return {
    post: (path, body) =>
      new Promise((resolve, reject) => {
        const data = JSON.stringify(body);
        const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca: tls.cert, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end(data);
      }),
  };
}

function admission(pod: unknown, operation = 'CREATE'): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'req-1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation, object: pod } };
}

/** Minimal RFC 6902 add/remove/replace, enough to apply the webhook's patches. */
function applyPatch(doc: any, ops: { op: string; path: string; value?: unknown }[]): any {
  const out = structuredClone(doc);
  for (const o of ops) {
    const parts = o.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop() as string;
    let parent = out;
    for (const p of parts) parent = parent[p];
    if (parent === undefined) throw new Error(`patch path ${o.path} does not exist`);
    if (o.op === 'remove') {
      if (!(last in parent)) throw new Error(`remove of missing ${o.path}`);
      delete parent[last];
    } else if (o.op === 'replace') {
      if (!(last in parent)) throw new Error(`replace of missing ${o.path}`);
      parent[last] = o.value;
    } else parent[last] = o.value;
  }
  return out;
}

function decodePatch(resp: any): { op: string; path: string; value?: unknown }[] {
  expect(resp.response.patchType).toBe('JSONPatch');
  return JSON.parse(Buffer.from(resp.response.patch, 'base64').toString('utf8'));
}

describe('mutating webhook', () => {
  it('routes a share pod to tessera-scheduler, injects downward-API env, strips forged decisions', async () => {
    const c = await start();
    const pod = kubePod('s', {
      resources: { 'nvidia.com/gpu': '2', 'nvidia.com/gpumem': '3000', 'nvidia.com/gpucores': '30' },
      annotations: { 'tessera.io/decision': '{"forged":true}', 'tessera.io/visible-devices.0': 'GPU-x', keep: 'me' },
    }) as any;
    pod.spec.schedulerName = 'default-scheduler';
    pod.spec.containers[0].env = [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }, { name: 'USER_VAR', value: '1' }];
    const res = await c.post('/mutate', admission(pod));
    expect(res.status).toBe(200);
    expect(res.json.response.uid).toBe('req-1');
    expect(res.json.response.allowed).toBe(true);
    const ops = decodePatch(res.json);
    expect(ops).toEqual(golden('webhook-mutate-share.patch', ops));
    const patched = applyPatch(pod, ops);
    expect(patched.spec.schedulerName).toBe('tessera-scheduler');
    expect(patched.metadata.annotations).toEqual({ keep: 'me' });
    const env = patched.spec.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
    expect(env.map((e) => e.name)).toEqual(['USER_VAR', 'NVIDIA_VISIBLE_DEVICES', 'CUDA_DEVICE_MEMORY_LIMIT_0', 'CUDA_DEVICE_MEMORY_LIMIT_1', 'CUDA_DEVICE_SM_LIMIT']);
    expect(env[1]?.valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.annotations['tessera.io/visible-devices.0']" } });
    expect(env[2]?.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['tessera.io/memory-limit.0']");
    expect(env[4]?.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['tessera.io/core-limit.0']");
  });

  it('gives Ascend containers ASCEND_VISIBLE_DEVICES for their own index', async () => {
    const c = await start();
    const pod = kubePod('a', { containers: [{ cpu: '1' }, { 'huawei.com/Ascend910': '2' }] });
    const patched = applyPatch(pod, decodePatch((await c.post('/mutate', admission(pod))).json));
    expect(patched.spec.containers[0].env).toBeUndefined();
    expect(patched.spec.containers[1].env).toEqual([{ name: 'ASCEND_VISIBLE_DEVICES', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['tessera.io/visible-devices.1']" } } }]);
  });

  it('leaves pods without accelerators alone and rejects a body that is not an AdmissionReview', async () => {
    const c = await start();
    const res = await c.post('/mutate', admission(kubePod('cpu', { resources: { cpu: '1' } })));
    expect(res.json.response).toEqual({ uid: 'req-1', allowed: true });
    const bad = await c.post('/mutate', { hello: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/expected an AdmissionReview/);
  });
});

describe('validating webhook', () => {
  const cases: { name: string; resources: Record<string, string>; want: RegExp | null }[] = [
    { name: '3 Ascend 910 chips on Atlas 800', resources: { 'huawei.com/Ascend910': '3' }, want: /3 chips is not allowed on Atlas 800.*1, 2, 4 or 8/ },
    { name: '4 Ascend 910 chips', resources: { 'huawei.com/Ascend910': '4' }, want: null },
    { name: 'gpumem above any GPU', resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': '50000' }, want: /50000 MiB is more than any GPU has \(largest: 40960 MiB\)/ },
    { name: 'gpucores over 100', resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpucores': '120' }, want: /gpucores: expected an integer 0–100/ },
    { name: 'non-integer count', resources: { 'nvidia.com/gpu': '1.5' }, want: /expected an integer ≥ 1/ },
    { name: 'more GPUs than any node', resources: { 'nvidia.com/gpu': '16' }, want: /asks for 16 GPUs, the largest node has 8/ },
    { name: 'a fine share', resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': '20000' }, want: null },
  ];
  for (const t of cases) {
    it(`${t.want === null ? 'admits' : 'rejects'} ${t.name}`, async () => {
      const c = await start();
      const res = await c.post('/validate', admission(kubePod('p', { resources: t.resources })));
      expect(res.json.response.uid).toBe('req-1');
      if (t.want === null) expect(res.json.response.allowed).toBe(true);
      else {
        expect(res.json.response.allowed).toBe(false);
        expect(res.json.response.status.message).toMatch(t.want);
      }
    });
  }
});

describe('webhook on arbitrary input', () => {
  it('never throws; answers a review (allowed or denied with a message) or a 400', async () => {
    const { review } = await import('../src/webhook.js');
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ request: fc.record({ uid: fc.string(), kind: fc.constant({ kind: 'Pod' }), operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE'), object: fc.jsonValue() }) }),
        ),
        fc.constantFrom('mutate' as const, 'validate' as const),
        (body, kind) => {
          const r = review(kind, body, undefined);
          expect([200, 400]).toContain(r.status);
          const resp = (r.body as { response?: { allowed: boolean; status?: { message: string } } }).response;
          if (r.status === 200) {
            expect(typeof resp?.allowed).toBe('boolean');
            if (resp?.allowed === false) expect(resp.status?.message).toMatch(/^Tessera: /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
