/**
 * HTTP access to the kube-apiserver without @kubernetes/client-node: importing that library
 * costs the extender ~78 MB of RSS (its generated API models), more than a quarter of the
 * 300 MB budget at 10,000 nodes / 100,000 pods, for a dozen REST calls.
 *
 * Connection settings come from a kubeconfig file (KUBECONFIG, --kubeconfig, ~/.kube/config) or
 * the in-cluster service account, as client-go finds them. Supported credentials: bearer
 * token (inline or tokenFile, re-read on every request so rotated tokens are picked up),
 * client certificate and key, basic auth; CA file/data, insecure-skip-tls-verify,
 * tls-server-name. A kubeconfig user with `exec` or `auth-provider` is handed to
 * client-node's KubeConfig, imported only then.
 */
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ExtenderError, messageOf } from './errors.js';

export interface KubeConnection {
  /** e.g. https://10.96.0.1:443 */
  readonly server: string;
  /** TLS settings, agent and Authorization header for one request. */
  requestOptions(): Promise<https.RequestOptions>;
}

export interface ConnectionSettings {
  readonly server: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure?: boolean;
  readonly tlsServerName?: string;
}

/** A connection from explicit settings; one keep-alive agent for all its requests. */
export function connectionFrom(s: ConnectionSettings): KubeConnection {
  const isHttp = s.server.startsWith('http:');
  const agent = isHttp
    ? new http.Agent({ keepAlive: true })
    : new https.Agent({
        keepAlive: true,
        ...(s.ca !== undefined ? { ca: s.ca } : {}),
        ...(s.cert !== undefined ? { cert: s.cert } : {}),
        ...(s.key !== undefined ? { key: s.key } : {}),
        rejectUnauthorized: s.insecure !== true,
        ...(s.tlsServerName !== undefined ? { servername: s.tlsServerName } : {}),
      });
  return {
    server: s.server,
    async requestOptions() {
      const headers: Record<string, string> = {};
      const token = s.tokenFile !== undefined ? readFileSync(s.tokenFile, 'utf8').trim() : s.token;
      if (token !== undefined && token !== '') headers['Authorization'] = `Bearer ${token}`;
      else if (s.username !== undefined) headers['Authorization'] = `Basic ${Buffer.from(`${s.username}:${s.password ?? ''}`).toString('base64')}`;
      return { agent, headers };
    },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function named(list: unknown, name: string, what: string, file: string): Obj {
  const hit = Array.isArray(list) ? list.find((e: unknown) => isObj(e) && e['name'] === name) : undefined;
  if (!isObj(hit) || !isObj(hit[what])) throw new ExtenderError('EXT_ERR_CONFIG', `kubeconfig ${file}: no ${what} named "${name}"`);
  return hit[what];
}

/**
 * Settings from a kubeconfig file's current context. Relative file paths are relative to the
 * kubeconfig's directory, as kubectl resolves them.
 */
export function loadKubeconfigFile(file: string): KubeConnection {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ExtenderError('EXT_ERR_CONFIG', `kubeconfig ${file}: ${messageOf(err)}`);
  }
  if (!isObj(doc)) throw new ExtenderError('EXT_ERR_CONFIG', `kubeconfig ${file}: expected a Config object`);
  const ctxName = str(doc['current-context']);
  if (ctxName === undefined) throw new ExtenderError('EXT_ERR_CONFIG', `kubeconfig ${file}: no current-context`);
  const ctx = named(doc['contexts'], ctxName, 'context', file);
  const cluster = named(doc['clusters'], String(ctx['cluster']), 'cluster', file);
  const user = ctx['user'] === undefined ? {} : named(doc['users'], String(ctx['user']), 'user', file);
  const server = str(cluster['server']);
  if (server === undefined) throw new ExtenderError('EXT_ERR_CONFIG', `kubeconfig ${file}: cluster "${String(ctx['cluster'])}" has no server`);
  if (user['exec'] !== undefined || user['auth-provider'] !== undefined) return viaClientNode(file, server);
  const base = dirname(file);
  const path = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  const bytes = (data: unknown, pathField: unknown): Buffer | undefined => {
    const d = str(data);
    if (d !== undefined) return Buffer.from(d, 'base64');
    const p = str(pathField);
    return p === undefined ? undefined : readFileSync(path(p));
  };
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  const tokenFile = str(user['tokenFile']);
  const token = str(user['token']);
  const username = str(user['username']);
  const password = str(user['password']);
  const tlsServerName = str(cluster['tls-server-name']);
  return connectionFrom({
    server,
    ...(token !== undefined ? { token } : {}),
    ...(tokenFile !== undefined ? { tokenFile: path(tokenFile) } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    ...(tlsServerName !== undefined ? { tlsServerName } : {}),
  });
}

/** exec / auth-provider credentials: client-node's KubeConfig, imported on the first request. */
function viaClientNode(file: string, server: string): KubeConnection {
  let kc: Promise<{ applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }> | null = null;
  return {
    server,
    async requestOptions() {
      kc ??= import('@kubernetes/client-node').then((m) => {
        const c = new m.KubeConfig();
        c.loadFromFile(file);
        return c;
      });
      const opts: https.RequestOptions = {};
      await (await kc).applyToHTTPSOptions(opts);
      return opts;
    },
  };
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection the extender uses: `path` if given, else $KUBECONFIG (its first file),
 * ~/.kube/config, or the in-cluster service account.
 */
export function loadKubeConnection(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  if (path !== undefined && path !== '') return loadKubeconfigFile(path);
  const fromEnv = env['KUBECONFIG']?.split(':').find((p) => p !== '' && existsSync(p));
  if (fromEnv !== undefined) return loadKubeconfigFile(fromEnv);
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return loadKubeconfigFile(home);
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host !== undefined && existsSync(join(SA_DIR, 'token'))) {
    return connectionFrom({ server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, tokenFile: join(SA_DIR, 'token'), ca: readFileSync(join(SA_DIR, 'ca.crt')) });
  }
  throw new ExtenderError('EXT_ERR_CONFIG', 'no kubeconfig: give --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account');
}

/** One request's answer. */
export interface ApiAnswer {
  readonly status: number;
  readonly text: string;
}

/** GET streams (list-watch) and JSON requests against one connection. */
export class KubeHttp {
  constructor(readonly conn: KubeConnection) {}

  /** Opens a GET; resolves with the response (any status); `onRequest` can abort it. */
  async open(path: string, query: Record<string, string>, onRequest: (req: http.ClientRequest) => void): Promise<IncomingMessage> {
    const url = this.url(path, query);
    const opts: https.RequestOptions = { ...(await this.conn.requestOptions()), method: 'GET' };
    opts.headers = { ...(opts.headers as Record<string, string> | undefined), Accept: 'application/json' };
    const mod = url.protocol === 'http:' ? http : https;
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, opts, resolve);
      req.on('error', reject);
      onRequest(req);
      req.end();
    });
  }

  /** A request with an optional JSON body; resolves with the status and body text. */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiAnswer> {
    const url = this.url(path, {});
    const opts: https.RequestOptions = { ...(await this.conn.requestOptions()), method };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    opts.headers = {
      ...(opts.headers as Record<string, string> | undefined),
      Accept: 'application/json',
      ...(payload !== undefined ? { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
    };
    const mod = url.protocol === 'http:' ? http : https;
    return await new Promise<ApiAnswer>((resolve, reject) => {
      const req = mod.request(url, opts, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private url(path: string, query: Record<string, string>): URL {
    const url = new URL(this.conn.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }
}
