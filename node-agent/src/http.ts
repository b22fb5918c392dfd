/** Small HTTP server (node:http) for /metrics, /healthz and /readyz. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpDeps {
  metrics(): Promise<string>;
  contentType: string;
  /** Ready = registered with the kubelet. */
  ready(): boolean;
}

export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** `host:port` → listen; the agent serves on loopback unless told otherwise. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(listen.trim());
  if (m === null || m[2] === undefined) throw new Error(`--metrics-listen: expected [host:]port, got '${listen}'`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`--metrics-listen: port out of range in '${listen}'`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export async function startHttp(listen: string, deps: HttpDeps): Promise<HttpServer> {
  const { host, port } = parseListen(listen);
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed: expected GET\n');
      return;
    }
    switch (url) {
      case '/metrics':
        deps.metrics().then(
          (text) => res.writeHead(200, { 'content-type': deps.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
        );
        return;
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const ok = deps.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not registered with the kubelet\n');
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz, /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
