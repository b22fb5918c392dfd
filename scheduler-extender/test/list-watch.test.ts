/**
 * The cache-less list-watch (list-watch.ts, through KubeClient) against a small real HTTP
 * server on loopback that pages its lists, streams watch events with bookmarks and answers
 * 410 Gone: pages are fetched with limit/continue, a bookmark moves the resourceVersion the
 * next watch starts from, and after a 410 the relist deletes from ClusterState the pods that
 * went away while events were lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfigFile, type KubeConnection } from '../src/kube-http.js';
import { ClusterState } from '../src/cluster-state.js';
import { KubeClient } from '../src/kube-client.js';
import { gpuInventory, kubeNode, kubePod, silent } from './helpers.js';

interface Req {
  path: string;
  q: URLSearchParams;
}

let server: http.Server | null = null;
let client: KubeClient | null = null;
const open = new Set<http.ServerResponse>();
afterEach(async () => {
  await client?.stop();
  for (const r of open) r.destroy();
  open.clear();
  await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
  client = null;
  server = null;
});

/** A kubeconfig file as kubectl writes it (token user, TLS verification off), loaded by kube-http.ts. */
function kubeconfig(url: string, token = 'tok'): KubeConnection {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-kc-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    ['apiVersion: v1', 'kind: Config', 'clusters:', '  - name: fake', '    cluster:', `      server: ${url}`, '      insecure-skip-tls-verify: true', 'users:', '  - name: u', '    user:', `      token: ${token}`, 'contexts:', '  - name: ctx', '    context:', '      cluster: fake', '      user: u', 'current-context: ctx', ''].join('\n'),
  );
  return loadKubeconfigFile(file);
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const names = (s: ClusterState): string[] => [...s.pods.values()].map((r) => r.meta.name).sort();

describe('list-watch without an object cache', () => {
  it('pages the list, resumes watches from bookmarks, and relists with deletes after 410 Gone', async () => {
    const seen: Req[] = [];
    const authz: string[] = [];
    // The "etcd" of this fake API server: pods p1..p5 at resourceVersion 100.
    let pods = ['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => kubePod(n, { nodeName: 'n1', resources: {} }));
    let listRv = '100';
    let podWatch = 0;
    let expireNextContinue = false;
    let gone: (() => void) | null = null;
    server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: u.pathname, q: u.searchParams });
      authz.push(String(req.headers.authorization));
      const json = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const stream = (events: unknown[], close: boolean): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        for (const e of events) res.write(`${JSON.stringify(e)}\n`);
        if (close) res.end();
        else open.add(res);
      };
      const watching = u.searchParams.get('watch') === 'true';
      if (u.pathname === '/api/v1/pods') {
        if (!watching) {
          const limit = Number(u.searchParams.get('limit'));
          const from = Number(u.searchParams.get('continue') ?? '0');
          if (from > 0 && expireNextContinue) {
            expireNextContinue = false;
            json(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'The provided continue parameter is too old' });
            return;
          }
          const items = pods.slice(from, from + limit);
          const more = from + limit < pods.length;
          json(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: listRv, ...(more ? { continue: String(from + limit) } : {}) }, items });
          return;
        }
        podWatch++;
        if (podWatch === 1) {
          // A bookmark, then the server's watch timeout closes the stream.
          stream([{ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '105' } } }], true);
        } else if (podWatch === 2) {
          // Held until the test has looked at the first list.
          gone = () => {
          // p6 arrives, then the history is compacted: 410 Gone. Meanwhile p3..p5 are deleted
          // and p7 is created (events the client never sees).
          const p6 = kubePod('p6', { nodeName: 'n1', resources: {} });
          (p6['metadata'] as Record<string, unknown>)['resourceVersion'] = '106';
          pods = [pods[0]!, pods[1]!, p6, kubePod('p7', { nodeName: 'n1', resources: {} })];
          listRv = '200';
          expireNextContinue = true;
            for (const e of [{ type: 'ADDED', object: p6 }, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 106 (150)' } }]) res.write(`${JSON.stringify(e)}\n`);
          };
          stream([], false);
        } else stream([], false);
        return;
      }
      if (u.pathname === '/api/v1/nodes') {
        if (watching) stream([], false);
        else json(200, { kind: 'NodeList', metadata: { resourceVersion: '100' }, items: [kubeNode('n1', gpuInventory('n1', 2))] });
        return;
      }
      if (watching) stream([], false);
      else json(200, { kind: 'List', metadata: { resourceVersion: '100' }, items: [] });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    client = new KubeClient(kubeconfig(`http://127.0.0.1:${port}`), { log: silent, pageSize: 2, backoffInitialMs: 10, backoffMaxMs: 50, watchTimeoutSeconds: 60 });
    const state = new ClusterState();
    const synced: boolean[] = [];
    state.onChange((e) => {
      if (e.type === 'synced') synced.push(e.synced);
    });
    await client.start(state);
    expect(state.synced).toBe(true);
    expect(names(state)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect([...state.nodes.keys()]).toEqual(['n1']);
    // The first list came in three pages of 2, with the field selector on each.
    const firstList = seen.filter((r) => r.path === '/api/v1/pods' && r.q.get('watch') === null).slice(0, 3);
    expect(firstList.map((r) => [r.q.get('limit'), r.q.get('continue')])).toEqual([['2', null], ['2', '2'], ['2', '4']]);
    expect(firstList.every((r) => r.q.get('fieldSelector') === 'status.phase!=Succeeded,status.phase!=Failed')).toBe(true);
    expect(authz.every((a) => a === 'Bearer tok')).toBe(true);

    await until(() => gone !== null, 'the second watch (from the bookmark)');
    gone!();
    // After the 410 the client relists (the continue token expires once: it starts over) and
    // deletes p3..p5, which the new list no longer has; p6 (from the watch) and p7 (list) stay.
    await until(() => names(state).join() === 'p1,p2,p6,p7', 'relist with deletes');
    const watches = seen.filter((r) => r.path === '/api/v1/pods' && r.q.get('watch') === 'true');
    await until(() => seen.filter((r) => r.path === '/api/v1/pods' && r.q.get('watch') === 'true').length >= 3, 'third watch');
    const w = seen.filter((r) => r.path === '/api/v1/pods' && r.q.get('watch') === 'true');
    expect(watches.length).toBeGreaterThanOrEqual(2);
    expect(w.map((r) => r.q.get('resourceVersion')).slice(0, 3)).toEqual(['100', '105', '200']);
    expect(w.every((r) => r.q.get('allowWatchBookmarks') === 'true' && r.q.get('timeoutSeconds') === '60')).toBe(true);
    const lists = seen.filter((r) => r.path === '/api/v1/pods' && r.q.get('watch') === null);
    // 3 pages, then the relist: page 1, the expired page 2, page 1 again, page 2.
    expect(lists.map((r) => r.q.get('continue'))).toEqual([null, '2', '4', null, '2', null, '2']);
    // No grant was involved, but the deleted pods are gone from every index.
    expect(state.podByName('ml', 'p3')).toBeUndefined();
    expect(state.podByName('ml', 'p7')?.meta.uid).toBe('uid-p7');
    expect(synced).toContain(false);
    await until(() => state.synced, 'synced after the relist');
  });

  it('retries a list that fails, reporting the kind not synced, and never keeps pod objects of bound CPU-only pods', async () => {
    let nodeLists = 0;
    let nodesDown = true;
    server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const watching = u.searchParams.get('watch') === 'true';
      if (watching) {
        res.writeHead(200, { 'content-type': 'application/json' });
        open.add(res);
        return;
      }
      if (u.pathname === '/api/v1/nodes' && (++nodeLists, nodesDown)) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 503, message: 'etcd leader changed' }));
        return;
      }
      const items = u.pathname === '/api/v1/pods' ? [kubePod('cpu', { nodeName: 'n1', resources: {} }), kubePod('gpu-pending')] : u.pathname === '/api/v1/nodes' ? [kubeNode('n1', gpuInventory('n1', 2))] : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '7' }, items }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    client = new KubeClient(kubeconfig(`http://127.0.0.1:${port}`), { log: silent, backoffInitialMs: 10, backoffMaxMs: 50 });
    const state = new ClusterState();
    await client.start(state);
    expect(state.synced).toBe(false);
    expect(state.syncMessage).toMatch(/nodes/);
    await until(() => nodeLists >= 3, 'retries with backoff');
    expect(state.synced).toBe(false);
    nodesDown = false;
    await until(() => state.synced && state.nodes.has('n1'), 'nodes listed once the API answers');
    expect(state.podByName('ml', 'cpu')?.raw).toBeNull();
    expect(state.podByName('ml', 'cpu')?.request).toBeNull();
    expect(state.podByName('ml', 'gpu-pending')?.raw).not.toBeNull();
  });
});
