/**
 * Per-device health state machine: healthy → unhealthy (bad tool health, a critical XID,
 * an ECC increase) → recovering (first good poll) → healthy (after `recoverAfterPolls`
 * consecutive good polls). Any bad poll while recovering goes back to unhealthy. Only
 * `healthy` devices are offered; the clock is injected.
 */
import type { Discovery, HealthEvent } from './backends/types.js';

export type HealthState = 'healthy' | 'unhealthy' | 'recovering';

/** Application XIDs that say nothing about the GPU (NVIDIA device plugin's default list). */
export const DEFAULT_IGNORED_XIDS: readonly number[] = [13, 31, 43, 45, 68, 109];

export interface HealthOptions {
  readonly recoverAfterPolls: number;
  /** XIDs that do not make a device unhealthy, or `all` (XID health checks off). */
  readonly ignoredXids: readonly number[] | 'all';
  readonly nowMs: () => number;
}

export interface DeviceHealthRecord {
  readonly state: HealthState;
  readonly reason: string;
  readonly sinceMs: number;
  readonly goodPolls: number;
  /** Last XID seen on the device (0 = none), for DCGM_FI_DEV_XID_ERRORS. */
  readonly lastXid: number;
  readonly xidCount: number;
}

export interface HealthTransition {
  readonly deviceId: string;
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
}

/** Parse `DP_DISABLE_HEALTHCHECKS`-style input: `all`, or a comma list of XIDs to ignore in addition. */
export function parseIgnoredXids(spec: string | undefined, base: readonly number[] = DEFAULT_IGNORED_XIDS): number[] | 'all' {
  if (spec === undefined || spec.trim() === '') return [...base];
  if (spec.trim().toLowerCase() === 'all') return 'all';
  const out = new Set(base);
  for (const part of spec.split(',')) {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`ignored XIDs: expected 'all' or a comma list of positive integers, got '${spec}'`);
    out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

export class HealthTracker {
  private readonly records = new Map<string, DeviceHealthRecord>();
  private readonly ignored: Set<number>;
  private readonly ignoreAllXids: boolean;

  constructor(private readonly opts: HealthOptions) {
    this.ignoreAllXids = opts.ignoredXids === 'all';
    this.ignored = new Set(opts.ignoredXids === 'all' ? [] : opts.ignoredXids);
  }

  record(id: string): DeviceHealthRecord | undefined {
    return this.records.get(id);
  }

  isCritical(e: HealthEvent): boolean {
    return e.kind !== 'xid' || (!this.ignoreAllXids && !this.ignored.has(e.code));
  }

  /** Feed one poll; returns the transitions it caused. Devices that vanished are forgotten. */
  observe(d: Discovery): HealthTransition[] {
    const now = this.opts.nowMs();
    const out: HealthTransition[] = [];
    const present = new Set(d.devices.map((x) => x.id));
    for (const id of this.records.keys()) if (!present.has(id)) this.records.delete(id);
    const eventsBy = new Map<string, HealthEvent[]>();
    for (const e of d.events) {
      const list = eventsBy.get(e.deviceId) ?? [];
      list.push(e);
      eventsBy.set(e.deviceId, list);
    }
    for (const dev of d.devices) {
      const prev = this.records.get(dev.id) ?? { state: 'healthy' as HealthState, reason: '', sinceMs: now, goodPolls: 0, lastXid: 0, xidCount: 0 };
      const events = eventsBy.get(dev.id) ?? [];
      const xids = events.filter((e) => e.kind === 'xid');
      const critical = events.filter((e) => this.isCritical(e));
      const badReasons = [...(dev.health === 'unhealthy' ? [d.reasons[dev.id] ?? 'reported unhealthy by the tool'] : []), ...critical.map((e) => e.message)];
      const lastXid = xids.length > 0 ? (xids[xids.length - 1] as HealthEvent).code : prev.lastXid;
      const xidCount = prev.xidCount + xids.length;
      let next: DeviceHealthRecord;
      if (badReasons.length > 0) {
        next = { state: 'unhealthy', reason: badReasons.join('; '), sinceMs: prev.state === 'unhealthy' ? prev.sinceMs : now, goodPolls: 0, lastXid, xidCount };
      } else if (prev.state === 'healthy') {
        next = { ...prev, lastXid, xidCount };
      } else {
        const good = prev.goodPolls + 1;
        next =
          good >= this.opts.recoverAfterPolls
            ? { state: 'healthy', reason: '', sinceMs: now, goodPolls: 0, lastXid, xidCount }
            : { state: 'recovering', reason: prev.reason, sinceMs: prev.state === 'recovering' ? prev.sinceMs : now, goodPolls: good, lastXid, xidCount };
      }
      if (next.state !== prev.state) out.push({ deviceId: dev.id, from: prev.state, to: next.state, reason: next.reason || prev.reason });
      this.records.set(dev.id, next);
    }
    return out;
  }
}
