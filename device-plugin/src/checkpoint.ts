/**
 * Local record of every Allocate answer (`<state dir>/allocations.json`), replaced
 * atomically (write temp file, rename; fsync first when `durable`). Without fsync an agent
 * crash or restart still finds the file (the page cache survives the process); only a
 * kernel crash could lose the last write, and then every container restarts anyway and
 * the pod-resources reconcile rebuilds the rest; a torn file is reported and ignored. Writes are coalesced: callers that arrive
 * while a write is in flight share the next write, which carries all their entries.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ServedRecord } from './allocation-ledger.js';
import { PluginError } from './errors.js';

export const CHECKPOINT_FILE = 'allocations.json';

interface CheckpointFile {
  readonly version: 1;
  readonly entries: readonly ServedRecord[];
}

function isRecord(v: unknown): v is ServedRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['podUid'] === 'string' &&
    typeof r['namespace'] === 'string' &&
    typeof r['name'] === 'string' &&
    typeof r['container'] === 'string' &&
    typeof r['containerIndex'] === 'number' &&
    typeof r['resource'] === 'string' &&
    Array.isArray(r['kubeletIds']) &&
    Array.isArray(r['devices']) &&
    typeof r['atMs'] === 'number'
  );
}

export class Checkpoint {
  readonly file: string;
  private writing: Promise<void> | null = null;
  private queued: { promise: Promise<void>; snapshot: () => readonly ServedRecord[] } | null = null;
  private seq = 0;

  constructor(stateDir: string, private readonly durable = false) {
    this.file = path.join(stateDir, CHECKPOINT_FILE);
  }

  /** Entries on disk; a missing file is empty, a corrupt one is an error naming the file. */
  async load(): Promise<ServedRecord[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PluginError('DP_ERR_CHECKPOINT', `checkpoint ${this.file}: cannot read`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new PluginError('DP_ERR_CHECKPOINT', `checkpoint ${this.file}: expected JSON {version:1, entries:[…]}`, { cause: err });
    }
    const entries = (parsed as { version?: unknown; entries?: unknown } | null)?.entries;
    if ((parsed as { version?: unknown } | null)?.version !== 1 || !Array.isArray(entries))
      throw new PluginError('DP_ERR_CHECKPOINT', `checkpoint ${this.file}: expected {version:1, entries:[…]}`);
    return entries.filter(isRecord);
  }

  /** Persist the state returned by `snapshot` (called at write time, so it is the newest). */
  save(snapshot: () => readonly ServedRecord[]): Promise<void> {
    if (this.writing === null) {
      this.writing = this.write(snapshot()).finally(() => this.drain());
      return this.writing;
    }
    if (this.queued === null) {
      const queued = { snapshot, promise: Promise.resolve() };
      queued.promise = new Promise<void>((resolve, reject) => {
        this.pendingResolvers = { resolve, reject };
      });
      this.queued = queued;
    } else {
      this.queued.snapshot = snapshot;
    }
    return this.queued.promise;
  }

  private pendingResolvers: { resolve: () => void; reject: (e: unknown) => void } | null = null;

  private drain(): void {
    this.writing = null;
    const next = this.queued;
    const resolvers = this.pendingResolvers;
    this.queued = null;
    this.pendingResolvers = null;
    if (next === null || resolvers === null) return;
    this.writing = this.write(next.snapshot()).finally(() => this.drain());
    this.writing.then(resolvers.resolve, resolvers.reject);
  }

  private async write(entries: readonly ServedRecord[]): Promise<void> {
    const body: CheckpointFile = { version: 1, entries };
    const tmp = `${this.file}.tmp-${process.pid}-${this.seq++}`;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(body));
      if (this.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.file);
  }
}
