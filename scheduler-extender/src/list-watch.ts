/**
 * List-watch that keeps no copy of the objects: a paginated LIST (`limit`/`continue`, so a
 * 100k-pod list is never one giant JSON document), then a WATCH from the list's
 * resourceVersion with bookmarks; every item and event goes straight to the sink.
 *
 * - A watch the server ends normally (its timeout) is reopened from the last resourceVersion.
 * - A watch that fails (connection error, non-200, ERROR event) marks the kind not synced and
 *   is retried with exponential backoff from the last resourceVersion.
 * - 410 Gone (the resourceVersion is too old), on the watch or in the middle of a paged list,
 *   means events were lost: the kind is listed again, and every object the sink still knows
 *   that the new list does not contain is delivered as a delete (`ClusterSink.known`).
 *
 * Requests go through kube-http.ts (the kubeconfig's TLS and credentials).
 */
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { ClusterSink, ObjectRef, WatchedKind } from './kube.js';
import { messageOf } from './errors.js';
import type { KubeHttp } from './kube-http.js';

export interface ListWatchSpec {
  readonly kind: WatchedKind;
  /** Collection path, e.g. /api/v1/pods. */
  readonly path: string;
  readonly fieldSelector?: string;
}

export interface ListWatchOptions {
  readonly log: Logger;
  /** Items per LIST page (default 500). */
  readonly pageSize?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Server-side watch timeout (default 300–600 s, spread like client-go's reflector). */
  readonly watchTimeoutSeconds?: number;
}

/** An API answer that was not 200: `status` 410 means the resourceVersion expired. */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function refOf(obj: unknown): ObjectRef | null {
  const md = isObj(obj) ? obj['metadata'] : undefined;
  if (!isObj(md) || typeof md['name'] !== 'string') return null;
  return {
    name: md['name'],
    ...(typeof md['namespace'] === 'string' ? { namespace: md['namespace'] } : {}),
    ...(typeof md['uid'] === 'string' ? { uid: md['uid'] } : {}),
  };
}

const keyOf = (r: ObjectRef): string => `${r.namespace ?? ''}/${r.name}`;

function resourceVersionOf(obj: unknown): string | undefined {
  const md = isObj(obj) ? obj['metadata'] : undefined;
  const rv = isObj(md) ? md['resourceVersion'] : undefined;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

function statusMessage(status: number, text: string): string {
  try {
    const s = JSON.parse(text) as { message?: unknown };
    if (typeof s.message === 'string') return `${status} ${s.message}`;
  } catch {
    // not a Status object
  }
  return `${status} ${text.slice(0, 200)}`;
}

/**
 * One kind's list-watch loop. `start()` resolves after the first list attempt (delivered or
 * failed and scheduled for retry); `onSynced` reports the kind's synced state.
 */
export class ListWatcher {
  private resourceVersion: string | undefined;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: http.ClientRequest | null = null;
  /** Whether the sink holds objects from an earlier list (a relist must then delete the missing). */
  private listedOnce = false;
  synced = false;
  /** Counters for tests and logs. */
  readonly stats = { lists: 0, pages: 0, watches: 0, bookmarks: 0, relistDeletes: 0 };

  constructor(
    private readonly spec: ListWatchSpec,
    private readonly get: Pick<KubeHttp, 'open'>,
    private readonly sink: ClusterSink,
    private readonly opts: ListWatchOptions,
    private readonly onSynced: (kind: WatchedKind, synced: boolean) => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.list();
      if (this.stopped) return;
      this.setSynced(true);
      this.failures = 0;
      this.watch();
    } catch (err) {
      this.fail(err);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.destroy();
    this.inFlight = null;
  }

  private setSynced(v: boolean): void {
    if (this.synced === v) return;
    this.synced = v;
    this.onSynced(this.spec.kind, v);
  }

  private query(extra: Record<string, string>): Record<string, string> {
    return { ...(this.spec.fieldSelector !== undefined ? { fieldSelector: this.spec.fieldSelector } : {}), ...extra };
  }

  /** Paginated LIST; delivers upserts (and, on a relist, deletes of what is gone). */
  private async list(): Promise<void> {
    const { kind } = this.spec;
    this.stats.lists++;
    const seen = this.listedOnce ? new Set<string>() : null;
    let cont: string | undefined;
    let rv: string | undefined;
    const limit = String(this.opts.pageSize ?? 500);
    for (;;) {
      const res = await this.get.open(this.spec.path, this.query({ limit, ...(cont !== undefined ? { continue: cont } : {}) }), (r) => (this.inFlight = r));
      const text = await readAll(res);
      this.inFlight = null;
      if (this.stopped) return;
      if (res.statusCode !== 200) {
        // 410 here: the continue token expired (the list took longer than etcd compaction); start over.
        if (res.statusCode === 410 && cont !== undefined) {
          this.opts.log.info({ kind }, 'list continue token expired; listing again from the start');
          cont = undefined;
          continue;
        }
        throw new ApiStatusError(res.statusCode ?? 0, `list ${kind}: ${statusMessage(res.statusCode ?? 0, text)}`);
      }
      let page: { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown };
      try {
        page = JSON.parse(text) as typeof page;
      } catch (err) {
        throw new Error(`list ${kind}: response is not JSON (${messageOf(err)})`);
      }
      this.stats.pages++;
      const items = Array.isArray(page.items) ? page.items : [];
      for (const item of items) {
        if (seen !== null) {
          const ref = refOf(item);
          if (ref !== null) seen.add(keyOf(ref));
        }
        this.sink.event({ kind, type: 'upsert', object: item });
      }
      if (typeof page.metadata?.resourceVersion === 'string') rv = page.metadata.resourceVersion;
      cont = typeof page.metadata?.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined;
      if (cont === undefined) break;
    }
    if (seen !== null) {
      // Objects deleted while no watch was open: the sink still holds them.
      const gone: ObjectRef[] = [];
      for (const ref of this.sink.known(kind)) if (!seen.has(keyOf(ref))) gone.push(ref);
      for (const ref of gone) {
        this.stats.relistDeletes++;
        this.sink.event({ kind, type: 'delete', object: { metadata: { ...ref } } });
      }
    }
    this.listedOnce = true;
    this.resourceVersion = rv;
  }

  private watchTimeout(): number {
    return this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
  }

  private watch(): void {
    if (this.stopped) return;
    const { kind } = this.spec;
    const timeoutSeconds = this.watchTimeout();
    const query = this.query({
      watch: 'true',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
      ...(this.resourceVersion !== undefined ? { resourceVersion: this.resourceVersion } : {}),
    });
    this.stats.watches++;
    const openedAt = Date.now();
    let ended = false;
    const end = (err: unknown): void => {
      if (ended) return;
      ended = true;
      this.inFlight?.destroy();
      this.inFlight = null;
      if (this.stopped) return;
      if (err === null) {
        // The server closed the watch (its timeout): reopen from where we are, at once unless
        // it closed within a second (then wait a little: a server that closes every watch at
        // once must not be asked again in a tight loop).
        if (Date.now() - openedAt >= 1000) this.watch();
        else {
          this.timer = setTimeout(() => {
            this.timer = null;
            this.watch();
          }, this.opts.backoffInitialMs ?? 500);
        }
        return;
      }
      this.fail(err);
    };
    this.get
      .open(this.spec.path, query, (r) => {
        this.inFlight = r;
        // A silently dead connection: no byte (bookmarks come about once a minute) for longer than the server's timeout.
        r.setTimeout((timeoutSeconds + 30) * 1000, () => r.destroy(new Error(`watch ${kind}: no data for ${timeoutSeconds + 30} s`)));
      })
      .then(
        (res) => {
          if (this.stopped) {
            res.destroy();
            return;
          }
          if (res.statusCode !== 200) {
            void readAll(res).then(
              (text) => end(new ApiStatusError(res.statusCode ?? 0, `watch ${kind}: ${statusMessage(res.statusCode ?? 0, text)}`)),
              (e: unknown) => end(e),
            );
            return;
          }
          this.setSynced(true);
          this.failures = 0;
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while (!ended && (nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line.trim() !== '') this.line(line, end);
            }
          });
          res.on('end', () => end(null));
          res.on('error', (e) => end(e));
          res.on('close', () => end(null));
        },
        (err: unknown) => end(err),
      );
  }

  private line(line: string, end: (err: unknown) => void): void {
    const { kind } = this.spec;
    let ev: { type?: unknown; object?: unknown };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch (err) {
      end(new Error(`watch ${kind}: event is not JSON (${messageOf(err)})`));
      return;
    }
    const rv = resourceVersionOf(ev.object);
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.sink.event({ kind, type: 'upsert', object: ev.object });
        break;
      case 'DELETED':
        this.sink.event({ kind, type: 'delete', object: ev.object });
        break;
      case 'BOOKMARK':
        this.stats.bookmarks++;
        break;
      case 'ERROR': {
        const s = isObj(ev.object) ? ev.object : {};
        const code = typeof s['code'] === 'number' ? s['code'] : 0;
        end(new ApiStatusError(code, `watch ${kind}: ${code} ${typeof s['message'] === 'string' ? s['message'] : 'error event'}`));
        return;
      }
      default:
        return;
    }
    if (rv !== undefined) this.resourceVersion = rv;
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    this.setSynced(false);
    const gone = err instanceof ApiStatusError && err.status === 410;
    if (gone) this.resourceVersion = undefined; // events were lost: list again
    this.failures++;
    const initial = this.opts.backoffInitialMs ?? 500;
    const delay = gone && this.failures === 1 ? 0 : Math.min(this.opts.backoffMaxMs ?? 30_000, initial * 2 ** Math.min(this.failures - 1, 10));
    this.opts.log.warn({ kind: this.spec.kind, err: messageOf(err), retryInMs: delay, relist: this.resourceVersion === undefined }, 'watch failed; restarting');
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      if (this.resourceVersion !== undefined) {
        this.watch();
        return;
      }
      this.list().then(
        () => {
          if (this.stopped) return;
          this.setSynced(true);
          this.failures = 0;
          this.watch();
        },
        (e: unknown) => this.fail(e),
      );
    }, delay);
  }
}
