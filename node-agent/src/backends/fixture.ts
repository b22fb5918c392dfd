/**
 * Fixture backend: replays recorded tool outputs from a directory, re-reading the files
 * on every poll (so tests and demos can change them to simulate faults). The directory
 * holds `fixture.json` naming the files (paths relative to the directory):
 * `{ "vendor": "nvidia", "xml"|"csv": …, "topo": …, "telemetry": …, "xid": … }` or
 * `{ "vendor": "ascend", "npuInfo": …, "npuTopo": … }`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Vendor } from '../../../core/index.js';
import { ascendDiscovery } from './ascend.js';
import { ToolError } from './exec.js';
import { NvidiaDiscoveryState } from './nvidia.js';
import type { Discovery, DiscoveryBackend } from './types.js';

interface Manifest {
  readonly vendor: Vendor;
  readonly files: Readonly<Record<string, string>>;
}

const KEYS = ['xml', 'csv', 'topo', 'telemetry', 'xid', 'npuInfo', 'npuTopo'] as const;

async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, 'fixture.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new ToolError(`fixture ${file}: expected a JSON manifest {vendor, xml|csv|npuInfo, …} (${(err as Error).message})`, true, { cause: err });
  }
  const o = raw as Record<string, unknown>;
  if (o['vendor'] !== 'nvidia' && o['vendor'] !== 'ascend') throw new ToolError(`fixture ${file}: vendor: expected "nvidia" or "ascend", got ${JSON.stringify(o['vendor'])}`, false);
  const files: Record<string, string> = {};
  for (const k of KEYS) if (typeof o[k] === 'string') files[k] = o[k] as string;
  return { vendor: o['vendor'], files };
}

export class FixtureBackend implements DiscoveryBackend {
  readonly name = 'fixture';
  private readonly nvidia = new NvidiaDiscoveryState();
  private manifest: Manifest | null = null;

  constructor(private readonly dir: string, readonly vendor: Vendor = 'nvidia') {}

  private async read(key: string): Promise<string | undefined> {
    const rel = this.manifest?.files[key];
    if (rel === undefined) return undefined;
    try {
      return await fs.readFile(path.resolve(this.dir, rel), 'utf8');
    } catch (err) {
      throw new ToolError(`fixture ${this.dir}: cannot read ${key} file ${rel}`, (err as NodeJS.ErrnoException).code === 'ENOENT', { cause: err });
    }
  }

  async discover(): Promise<Discovery> {
    this.manifest = await readManifest(this.dir);
    if (this.manifest.vendor === 'ascend') {
      const info = await this.read('npuInfo');
      if (info === undefined) throw new ToolError(`fixture ${this.dir}: ascend manifest needs npuInfo`, false);
      const topo = await this.read('npuTopo');
      return ascendDiscovery(topo === undefined ? { info } : { info, topo });
    }
    const texts: Record<string, string> = {};
    for (const [k, file] of [['xml', 'xml'], ['csv', 'csv'], ['topo', 'topo'], ['telemetry', 'telemetry'], ['xidLog', 'xid']] as const) {
      const t = await this.read(file);
      if (t !== undefined) texts[k] = t;
    }
    return this.nvidia.build(texts);
  }
}
