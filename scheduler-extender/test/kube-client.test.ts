/**
 * KubeClient (client-node) against a fake kube-apiserver on loopback: list-watch delivers
 * objects, a failing watch is restarted with backoff while the sink is told "not synced",
 * and Binding / Eviction / merge patch / TokenReview / SubjectAccessReview / Lease requests have the
 * shapes the API server expects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfigFile, type KubeConnection } from '../src/kube-http.js';
import { KubeClient } from '../src/kube-client.js';
import type { WatchEvent } from '../src/kube.js';
import { gpuInventory, kubeNode, kubePod, silent } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

let api: FastifyInstance | null = null;
let client: KubeClient | null = null;
afterEach(async () => {
  await client?.stop();
  await api?.close();
  client = null;
  api = null;
});

async function fakeApiServer(opts: { failNodeWatches: number }): Promise<{ url: string; seen: Seen[]; nodeWatchCalls: () => number }> {
  const seen: Seen[] = [];
  let nodeWatches = 0;
  api = Fastify();
  api.addContentTypeParser(['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json'], { parseAs: 'string' }, (_req, body, done) => done(null, JSON.parse(body as string)));
  api.addHook('onRequest', async (req) => {
    if (!req.url.includes('watch=true')) return;
  });
  api.addHook('preHandler', async (req) => {
    seen.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: req.body });
  });
  const list = (kind: string, items: unknown[]) => ({ kind, apiVersion: 'v1', metadata: { resourceVersion: '10' }, items });
  const watchStream = (reply: import('fastify').FastifyReply, events: unknown[]) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/json' });
    reply.raw.flushHeaders();
    for (const e of events) reply.raw.write(`${JSON.stringify(e)}\n`);
    // keep the stream open until the client aborts it
  };
  api.get('/api/v1/nodes', async (req, reply) => {
    const q = req.query as Record<string, string>;
    if (q['watch'] === 'true') {
      nodeWatches++;
      if (nodeWatches <= opts.failNodeWatches) return reply.code(500).send({ kind: 'Status', code: 500, message: 'etcd unavailable' });
      watchStream(reply, [{ type: 'ADDED', object: kubeNode('n2', gpuInventory('n2', 2)) }]);
      return reply;
    }
    return list('NodeList', [kubeNode('n1', gpuInventory('n1', 4))]);
  });
  api.get('/api/v1/pods', async (req, reply) => {
    const q = req.query as Record<string, string>;
    if (q['watch'] === 'true') {
      watchStream(reply, []);
      return reply;
    }
    return list('PodList', [kubePod('p1')]);
  });
  for (const plural of ['pools', 'tenants', 'queues']) {
    api.get(`/apis/tessera.io/v1alpha1/${plural}`, async (req, reply) => {
      const q = req.query as Record<string, string>;
      if (q['watch'] === 'true') {
        watchStream(reply, []);
        return reply;
      }
      return list(`${plural}List`, plural === 'pools' ? [{ apiVersion: 'tessera.io/v1alpha1', kind: 'Pool', metadata: { name: 'training' }, spec: { mode: 'elastic' } }] : []);
    });
  }
  api.post('/api/v1/namespaces/:ns/pods/:name/binding', async (req) => ({ kind: 'Status', apiVersion: 'v1', status: 'Success', metadata: {} }));
  api.patch('/api/v1/namespaces/:ns/pods/:name', async () => kubePod('p1'));
  api.post('/api/v1/namespaces/:ns/pods/:name/eviction', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    if (name === 'gone') return reply.code(404).send({ kind: 'Status', apiVersion: 'v1', code: 404, reason: 'NotFound', message: 'pods "gone" not found' });
    if (name === 'guarded') return reply.code(429).send({ kind: 'Status', apiVersion: 'v1', code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget." });
    return reply.code(201).send({ kind: 'Status', apiVersion: 'v1', status: 'Success', metadata: {} });
  });
  api.post('/apis/authentication.k8s.io/v1/tokenreviews', async (req) => {
    const token = (req.body as { spec: { token: string } }).spec.token;
    return { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status: token === 'good' ? { authenticated: true, user: { username: 'alice', groups: ['g1'] } } : { authenticated: false } };
  });
  api.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', async (req) => {
    const spec = (req.body as { spec: { user: string; resourceAttributes: { verb: string } } }).spec;
    return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', status: { allowed: spec.user === 'alice' && spec.resourceAttributes.verb === 'list' } };
  });
  api.get('/apis/coordination.k8s.io/v1/namespaces/:ns/leases/:name', async (_req, reply) => reply.code(404).send({ kind: 'Status', code: 404, reason: 'NotFound' }));
  api.post('/apis/coordination.k8s.io/v1/namespaces/:ns/leases', async (req) => ({ ...(req.body as object), metadata: { ...(req.body as { metadata: object }).metadata, resourceVersion: '1' } }));
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  return { url, seen, nodeWatchCalls: () => nodeWatches };
}

/** A kubeconfig file as kubectl writes it (token user, TLS verification off), loaded by kube-http.ts. */
function kubeconfig(server: string, token = 'secret'): KubeConnection {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-kc-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    ['apiVersion: v1', 'kind: Config', 'clusters:', '  - name: fake', '    cluster:', `      server: ${server}`, '      insecure-skip-tls-verify: true', 'users:', '  - name: u', '    user:', `      token: ${token}`, 'contexts:', '  - name: ctx', '    context:', '      cluster: fake', '      user: u', 'current-context: ctx', ''].join('\n'),
  );
  return loadKubeconfigFile(file);
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('KubeClient against a fake kube-apiserver', () => {
  it('lists and watches, and restarts a failing watch with backoff while reporting not synced', async () => {
    const srv = await fakeApiServer({ failNodeWatches: 2 });
    client = new KubeClient(kubeconfig(srv.url), { log: silent, backoffInitialMs: 20, backoffMaxMs: 100 });
    const events: WatchEvent[] = [];
    const statuses: { synced: boolean; message?: string }[] = [];
    await client.start({ event: (e) => events.push(e), status: (synced, message) => statuses.push({ synced, ...(message !== undefined ? { message } : {}) }), known: () => [] });
    expect(events.some((e) => e.kind === 'nodes' && (e.object as { metadata: { name: string } }).metadata.name === 'n1')).toBe(true);
    expect(events.some((e) => e.kind === 'pods')).toBe(true);
    expect(events.some((e) => e.kind === 'pools')).toBe(true);
    // The node watch fails twice, then delivers n2; meanwhile "not synced" names the watch.
    await until(() => events.some((e) => (e.object as { metadata: { name: string } }).metadata.name === 'n2'), 'n2 from the restarted watch');
    expect(srv.nodeWatchCalls()).toBeGreaterThanOrEqual(3);
    expect(statuses.some((s) => !s.synced && /nodes/.test(s.message ?? ''))).toBe(true);
    await until(() => statuses.at(-1)?.synced === true, 'synced again');
    const podList = srv.seen.find((s) => s.url.startsWith('/api/v1/pods') && !s.url.includes('watch=true'));
    expect(decodeURIComponent(podList?.url ?? '')).toContain('fieldSelector=status.phase!=Succeeded,status.phase!=Failed');
  });

  it('sends Binding, merge patch, TokenReview, SubjectAccessReview and Lease requests in API shape', async () => {
    const srv = await fakeApiServer({ failNodeWatches: 0 });
    client = new KubeClient(kubeconfig(srv.url), { log: silent });
    await client.bind({ namespace: 'ml', name: 'p1', uid: 'uid-p1', node: 'n1' });
    const b = srv.seen.find((s) => s.url === '/api/v1/namespaces/ml/pods/p1/binding');
    expect(b?.body).toMatchObject({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1', uid: 'uid-p1' }, target: { kind: 'Node', name: 'n1' } });
    await client.patchPodAnnotations('ml', 'p1', { 'tessera.io/decision': '{}', 'tessera.io/core-limit.0': null });
    const p = srv.seen.find((s) => s.method === 'PATCH');
    expect(p?.contentType).toBe('application/merge-patch+json');
    expect(p?.body).toEqual({ metadata: { annotations: { 'tessera.io/decision': '{}', 'tessera.io/core-limit.0': null } } });
    await client.evictPod({ namespace: 'ml', name: 'p1', uid: 'uid-p1' });
    const ev = srv.seen.find((s) => s.url === '/api/v1/namespaces/ml/pods/p1/eviction');
    expect(ev?.body).toMatchObject({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'ml' }, deleteOptions: { preconditions: { uid: 'uid-p1' } } });
    await client.evictPod({ namespace: 'ml', name: 'gone', uid: '' }); // already gone: resolves
    await expect(client.evictPod({ namespace: 'ml', name: 'guarded', uid: '' })).rejects.toThrow(/evict pod ml\/guarded: 429.*disruption budget/);
    expect(await client.reviewToken('good')).toEqual({ username: 'alice', groups: ['g1'] });
    expect(await client.reviewToken('bad')).toBeNull();
    expect(await client.canI({ username: 'alice', groups: [] }, { verb: 'list', group: 'tessera.io', resource: 'tenants' })).toBe(true);
    expect(await client.canI({ username: 'alice', groups: [] }, { verb: 'create', group: 'tessera.io', resource: 'pools' })).toBe(false);
    expect(await client.getLease('ns', 'l')).toBeNull();
    expect(await client.createLease('ns', 'l', { holder: 'me', leaseDurationSeconds: 15, renewTimeMs: 1_700_000_000_000, acquireTimeMs: 1_700_000_000_000, transitions: 0 })).toBe(true);
    const lease = srv.seen.find((s) => s.url === '/apis/coordination.k8s.io/v1/namespaces/ns/leases' && s.method === 'POST');
    expect(lease?.body).toMatchObject({ kind: 'Lease', spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } });
    expect(String((lease?.body as { spec: { renewTime: string } }).spec.renewTime)).toMatch(/^2023-11-14T22:13:20/);
  });
});
