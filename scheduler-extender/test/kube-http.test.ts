/**
 * kube-http.ts (the extender's API server access without client-node) against real HTTPS
 * servers on loopback: the kubeconfig's CA (a file relative to the kubeconfig) and client
 * certificate (inline data) are used, an unknown CA is refused, a token file is re-read on
 * every request (rotated service-account tokens), and broken kubeconfigs say what is missing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedTls } from '../src/webhook-server.js';
import { KubeHttp, loadKubeConnection, loadKubeconfigFile } from '../src/kube-http.js';

const servers: https.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

interface Seen {
  authorization: string | undefined;
  clientCN: string | null;
  method: string;
  body: string;
}

async function apiServer(opts: { clientCa?: Buffer | string }): Promise<{ url: string; seen: Seen[]; cert: Buffer | string }> {
  const tls = selfSignedTls(['127.0.0.1']);
  const seen: Seen[] = [];
  const srv = https.createServer({ cert: tls.cert, key: tls.key, ...(opts.clientCa !== undefined ? { ca: opts.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({ authorization: req.headers.authorization, clientCN: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : null, method: req.method ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Success' }));
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { url: `https://127.0.0.1:${(srv.address() as { port: number }).port}`, seen, cert: tls.cert };
}

function writeKubeconfig(dir: string, cluster: string[], user: string[]): string {
  const file = join(dir, 'config');
  writeFileSync(file, ['apiVersion: v1', 'kind: Config', 'clusters:', '  - name: c', '    cluster:', ...cluster.map((l) => `      ${l}`), 'users:', '  - name: u', '    user:', ...(user.length === 0 ? ['      {}'] : user.map((l) => `      ${l}`)), 'contexts:', '  - name: x', '    context:', '      cluster: c', '      user: u', 'current-context: x', ''].join('\n'));
  return file;
}

describe('kube-http connections', () => {
  it('verifies the server with the kubeconfig CA file and presents the client certificate', async () => {
    const client = selfSignedTls(['tessera-extender']);
    const srv = await apiServer({ clientCa: client.cert });
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kh-'));
    writeFileSync(join(dir, 'ca.crt'), srv.cert);
    writeFileSync(join(dir, 'client.key'), client.key);
    const file = writeKubeconfig(dir, [`server: ${srv.url}`, 'certificate-authority: ca.crt'], [`client-certificate-data: ${Buffer.from(client.cert).toString('base64')}`, 'client-key: client.key']);
    const api = new KubeHttp(loadKubeconfigFile(file));
    const a = await api.request('POST', '/api/v1/namespaces/ml/pods/p/binding', { kind: 'Binding' });
    expect(a.status).toBe(200);
    expect(srv.seen[0]).toMatchObject({ clientCN: 'tessera-extender', method: 'POST', body: '{"kind":"Binding"}', authorization: undefined });
  });

  it('refuses a server whose certificate the kubeconfig CA did not sign', async () => {
    const srv = await apiServer({});
    const other = selfSignedTls(['127.0.0.1']);
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kh-'));
    const file = writeKubeconfig(dir, [`server: ${srv.url}`, `certificate-authority-data: ${Buffer.from(other.cert).toString('base64')}`], ['token: abc']);
    await expect(new KubeHttp(loadKubeconfigFile(file)).request('GET', '/api/v1/nodes')).rejects.toThrow(/self.signed|certificate/i);
    expect(srv.seen).toHaveLength(0);
  });

  it('re-reads a token file on every request, from $KUBECONFIG', async () => {
    const srv = await apiServer({});
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kh-'));
    writeFileSync(join(dir, 'token'), 'first\n');
    const file = writeKubeconfig(dir, [`server: ${srv.url}`, 'insecure-skip-tls-verify: true'], ['tokenFile: token']);
    const api = new KubeHttp(loadKubeConnection(undefined, { KUBECONFIG: `/nonexistent/config:${file}` }));
    await api.request('GET', '/api/v1/nodes');
    writeFileSync(join(dir, 'token'), 'rotated\n');
    await api.request('GET', '/api/v1/nodes');
    expect(srv.seen.map((s) => s.authorization)).toEqual(['Bearer first', 'Bearer rotated']);
  });

  it('says what is wrong with a kubeconfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kh-'));
    const noCtx = join(dir, 'a');
    writeFileSync(noCtx, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    expect(() => loadKubeconfigFile(noCtx)).toThrow(/no current-context/);
    const noCluster = join(dir, 'b');
    writeFileSync(noCluster, 'apiVersion: v1\nkind: Config\ncontexts:\n  - name: x\n    context: {cluster: gone, user: u}\ncurrent-context: x\n');
    expect(() => loadKubeconfigFile(noCluster)).toThrow(/no cluster named "gone"/);
    const noServer = writeKubeconfig(dir, ['insecure-skip-tls-verify: true'], ['token: t']);
    expect(() => loadKubeconfigFile(noServer)).toThrow(/cluster "c" has no server/);
    expect(() => loadKubeconfigFile(join(dir, 'missing'))).toThrow(/kubeconfig .*missing/);
  });
});
