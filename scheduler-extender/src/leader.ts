/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-node 1.3 ships no elector).
 * The leader binds and is the only ready replica (followers report not-ready, so the
 * Service routes kube-scheduler to the leader; a follower that still gets a bind answers
 * with an Error and the scheduler retries). Clock injected; `tick()` is one round.
 */
import type { Logger } from 'pino';
import type { LeaseStore } from './kube.js';
import { messageOf } from './errors.js';

export interface LeaderOptions {
  readonly store: LeaseStore;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly log: Logger;
  readonly clock?: () => number;
  /** How long a lease is valid without renewal. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Time between rounds. Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly onChange?: (leader: boolean) => void;
}

export class LeaderElector {
  private leader = false;
  private lastRenewMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;

  constructor(private readonly o: LeaderOptions) {
    this.clock = o.clock ?? Date.now;
  }

  isLeader(): boolean {
    return this.leader;
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.o.log.info({ identity: this.o.identity, lease: `${this.o.namespace}/${this.o.name}` }, leader ? 'became leader' : 'lost leadership');
    this.o.onChange?.(leader);
  }

  /** One election round. */
  async tick(): Promise<void> {
    const now = this.clock();
    const durationS = Math.ceil((this.o.leaseDurationMs ?? 15_000) / 1000);
    const mine = { holder: this.o.identity, leaseDurationSeconds: durationS, renewTimeMs: now };
    try {
      const cur = await this.o.store.getLease(this.o.namespace, this.o.name);
      if (cur === null) {
        const ok = await this.o.store.createLease(this.o.namespace, this.o.name, { ...mine, acquireTimeMs: now, transitions: 0 });
        if (ok) this.lastRenewMs = now;
        this.set(ok);
        return;
      }
      const expired = now > cur.renewTimeMs + cur.leaseDurationSeconds * 1000;
      if (cur.holder === this.o.identity || expired || cur.holder === '') {
        const takeover = cur.holder !== this.o.identity;
        const ok = await this.o.store.updateLease(this.o.namespace, this.o.name, cur.version, {
          ...mine,
          acquireTimeMs: takeover ? now : cur.acquireTimeMs,
          transitions: takeover ? cur.transitions + 1 : cur.transitions,
        });
        if (ok) this.lastRenewMs = now;
        this.set(ok || (this.leader && now - this.lastRenewMs < (this.o.renewDeadlineMs ?? 10_000)));
        return;
      }
      this.set(false);
    } catch (err) {
      this.o.log.warn({ err: messageOf(err) }, 'lease round failed');
      if (this.leader && now - this.lastRenewMs >= (this.o.renewDeadlineMs ?? 10_000)) this.set(false);
    }
  }

  start(): void {
    const loop = (): void => {
      void this.tick().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(loop, this.o.retryPeriodMs ?? 2_000);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stop campaigning; a leader gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.leader) return;
    try {
      const cur = await this.o.store.getLease(this.o.namespace, this.o.name);
      if (cur !== null && cur.holder === this.o.identity) {
        await this.o.store.updateLease(this.o.namespace, this.o.name, cur.version, { ...cur, holder: '', leaseDurationSeconds: 1 });
      }
    } catch (err) {
      this.o.log.warn({ err: messageOf(err) }, 'could not release the lease');
    }
    this.set(false);
  }
}
