/**
 * Raw JSON access to the API server for server-side apply. client-node's typed
 * serializer drops fields it does not model under their wire names (for example
 * `x-kubernetes-int-or-string` inside a CRD schema), so objects from manifests/ are
 * sent byte-for-byte as parsed, to the resource path found through discovery.
 */
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // raw body
    }
    super(`HTTP ${code}: ${message}`);
    this.name = 'ApiError';
  }
}

interface ResourceInfo {
  readonly name: string;
  readonly namespaced: boolean;
}

export class RawApi {
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(
    readonly server: string,
    private readonly token: string,
  ) {}

  static fromKubeconfig(file: string): RawApi {
    const kc = parse(readFileSync(file, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { token: string } }[];
    };
    const server = kc.clusters[0]?.cluster.server;
    const token = kc.users[0]?.user.token;
    if (!server || !token) throw new Error(`${file}: expected a kubeconfig with a server and a bearer token`);
    return new RawApi(server, token);
  }

  request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${this.server}${path}`,
        {
          method,
          rejectUnauthorized: false, // the apiserver's self-signed loopback certificate
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': contentType } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(text);
            else reject(new ApiError(code, text));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private resources(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    let p = this.discovery.get(apiVersion);
    if (p === undefined) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = this.request('GET', path).then((text) => {
        const list = JSON.parse(text) as { resources: { name: string; kind: string; namespaced: boolean }[] };
        const byKind = new Map<string, ResourceInfo>();
        for (const r of list.resources) if (!r.name.includes('/')) byKind.set(r.kind, { name: r.name, namespaced: r.namespaced });
        return byKind;
      });
      // Forget failures (a CRD may become served later).
      p.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, p);
    }
    return p;
  }

  /** The REST path of an object (by discovery of its apiVersion). */
  async objectPath(obj: KubernetesObject): Promise<string> {
    const apiVersion = obj.apiVersion ?? '';
    const kind = obj.kind ?? '';
    let info: ResourceInfo | undefined;
    try {
      info = (await this.resources(apiVersion)).get(kind);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) throw new ApiError(404, `API ${apiVersion} is not served by this cluster`);
      throw err;
    }
    if (info === undefined) throw new ApiError(404, `kind ${kind} is not served in ${apiVersion}`);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${obj.metadata?.namespace ?? 'default'}` : '';
    return `${base}${ns}/${info.name}/${encodeURIComponent(obj.metadata?.name ?? '')}`;
  }

  /** Server-side apply with force; `dryRun` asks the server to validate only. */
  async apply(obj: KubernetesObject, fieldManager: string, dryRun = false): Promise<KubernetesObject> {
    const path = await this.objectPath(obj);
    const q = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true${dryRun ? '&dryRun=All' : ''}`;
    return JSON.parse(await this.request('PATCH', `${path}${q}`, JSON.stringify(obj), 'application/apply-patch+yaml')) as KubernetesObject;
  }
}
