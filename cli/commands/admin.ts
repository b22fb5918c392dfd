import type { Command } from 'commander';

interface AdminOpts {
  server: string;
  token?: string;
  json?: boolean;
}

async function call(opts: AdminOpts, path: string): Promise<unknown> {
  const token = opts.token ?? process.env['TESSERA_TOKEN'];
  let res: Response;
  try {
    res = await fetch(`${opts.server.replace(/\/+$/, '')}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    throw new Error(`cannot reach the Tessera admin API at ${opts.server}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${(body as { message?: string }).message ?? text}`);
  return body;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

const num = (v: unknown): string => (v === null || v === undefined ? '∞' : String(v));

function print(opts: AdminOpts, body: unknown, render: () => string): void {
  process.stdout.write(`${opts.json ? JSON.stringify(body, null, 2) : render()}\n`);
}

export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('query the Tessera admin API (pools, tenants, queues, usage, why a pod is pending)')
    .option('--server <url>', 'admin API base URL', process.env['TESSERA_SERVER'] ?? 'http://127.0.0.1:8888')
    .option('--token <token>', 'bearer token (default $TESSERA_TOKEN)')
    .option('--json', 'print the raw JSON', false);
  const opts = (): AdminOpts => admin.opts<AdminOpts>();

  for (const kind of ['pools', 'tenants', 'queues'] as const) {
    admin
      .command(kind)
      .description(`list ${kind}`)
      .action(async () => {
        const body = (await call(opts(), `/api/v1/${kind}`)) as { items: { metadata: { name: string }; spec: Record<string, unknown> }[] };
        print(opts(), body, () => {
          const rows = body.items.map((o) => {
            const s = o.spec as Record<string, any>;
            if (kind === 'pools') return [o.metadata.name, String(s['mode']), String(s['isolation'] ?? ''), JSON.stringify(s['nodeSelector']?.matchLabels ?? {})];
            if (kind === 'tenants') return [o.metadata.name, (s['namespaces'] ?? []).join(','), String(s['defaultPool'] ?? ''), String(s['defaultQueue'] ?? '')];
            return [o.metadata.name, String(s['tenant']), String(s['pool']), num(s['guarantee']?.gpu), num(s['limit']?.gpu), String(s['priority'] ?? 0)];
          });
          const head = kind === 'pools' ? ['NAME', 'MODE', 'ISOLATION', 'SELECTOR'] : kind === 'tenants' ? ['NAME', 'NAMESPACES', 'POOL', 'QUEUE'] : ['NAME', 'TENANT', 'POOL', 'GUARANTEE', 'LIMIT', 'PRIORITY'];
          return table([head, ...rows]);
        });
      });
  }

  admin
    .command('usage')
    .description('per queue: guarantee, limit, used, borrowed, lent (GPU equivalents)')
    .action(async () => {
      const body = (await call(opts(), '/api/v1/usage')) as { queues: Record<string, any>[] };
      print(opts(), body, () =>
        table([
          ['QUEUE', 'TENANT', 'POOL', 'GUARANTEE', 'LIMIT', 'USED', 'BORROWED', 'LENT', 'PODS', 'PENDING'],
          ...body.queues.map((q) => [q['queue'], q['tenant'], q['pool'], num(q['guarantee'].gpu), num(q['limit'].gpu), num(q['used'].gpu), num(q['borrowed'].gpu), num(q['lent'].gpu), String(q['pods']), String(q['pending'])]),
        ]),
      );
    });

  admin
    .command('pending')
    .description('pods waiting for accelerators and why')
    .action(async () => {
      const body = (await call(opts(), '/api/v1/pending')) as { items: Record<string, any>[] };
      print(opts(), body, () => table([['POD', 'QUEUE', 'REASON', 'SUMMARY'], ...body.items.map((p) => [`${p['pod'].namespace}/${p['pod'].name}`, p['queue'] ?? '', p['reason'], p['summary']])]));
    });

  admin
    .command('why <pod>')
    .description('explain a pod (namespace/name) across quota, fit and topology')
    .action(async (pod: string) => {
      const m = /^([^/]+)\/([^/]+)$/.exec(pod);
      if (m === null) throw new Error(`why: expected namespace/name, got "${pod}"`);
      const body = (await call(opts(), `/api/v1/pods/${encodeURIComponent(m[1] as string)}/${encodeURIComponent(m[2] as string)}/why`)) as Record<string, any>;
      print(opts(), body, () => {
        const lines = [
          `pod ${pod}: ${body['phase']}${body['node'] ? ` on ${body['node']}` : ''}`,
          `asks for: ${body['request'] ?? '-'}`,
          `quota: ${body['quota'].ok ? 'ok' : 'refused'}${body['quota'].queue ? ` (queue ${body['quota'].queue})` : ''}: ${body['quota'].message}`,
          `fit: ${body['fit'].feasible}/${body['fit'].nodes} nodes fit${body['fit'].best ? `; best ${body['fit'].best.node} (${body['fit'].best.devices.join(', ')})` : ''}`,
          ...Object.entries(body['fit'].byReason as Record<string, number>).map(([r, n]) => `  ${n} node(s): ${r}`),
          ...Object.values(body['fit'].sample as Record<string, string>).slice(0, 5).map((s) => `  e.g. ${s}`),
          ...(body['topology'] as string[]).map((t) => `topology: ${t}`),
          ...(body['problems'] as string[]).map((p) => `problem: ${p}`),
        ];
        return lines.join('\n');
      });
    });
}
