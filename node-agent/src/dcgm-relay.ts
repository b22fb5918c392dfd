/**
 * Optional: re-export an existing dcgm-exporter instead of polling telemetry ourselves.
 * The agent scrapes the exporter's text and relabels each sample: `Hostname` becomes the
 * node name (dcgm-exporter in a container reports its container hostname), and samples of
 * a GPU the agent knows get `tessera_health` (healthy / recovering / unhealthy).
 */
export interface RelabelOptions {
  readonly hostname: string;
  readonly healthOf: (uuid: string) => string | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?(\s.*)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Relabel a Prometheus text exposition; comment lines pass through, malformed lines are dropped. */
export function relabelExposition(text: string, opts: RelabelOptions): { text: string; dropped: number } {
  const out: string[] = [];
  let dropped = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      out.push(line);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null || m[1] === undefined || m[4] === undefined) {
      dropped++;
      continue;
    }
    const labels: [string, string][] = [];
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels.push([l[1] as string, l[2] as string]);
    const host = labels.find(([k]) => k === 'Hostname' || k === 'hostname');
    if (host !== undefined) host[1] = escape(opts.hostname);
    else labels.push(['Hostname', escape(opts.hostname)]);
    const uuid = labels.find(([k]) => k === 'UUID')?.[1];
    const health = uuid === undefined ? undefined : opts.healthOf(uuid);
    if (health !== undefined) labels.push(['tessera_health', health]);
    out.push(`${m[1]}{${labels.map(([k, v]) => `${k}="${v}"`).join(',')}}${m[4]}`);
  }
  return { text: out.join('\n'), dropped };
}

/** Scrapes one dcgm-exporter URL with a timeout; errors name the URL. */
export async function scrapeExporter(url: string, timeoutMs = 3000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`dcgm-exporter ${url}: HTTP ${res.status}`);
  return res.text();
}
