/**
 * Prometheus metrics of the extender, on its own Registry. Names `tessera_extender_…`,
 * base units (seconds; GPU equivalents for queue amounts, which are fractional).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Verb = 'filter' | 'prioritize' | 'preempt' | 'bind';

export class ExtenderMetrics {
  readonly registry = new Registry();
  readonly decisionSeconds: Histogram<'verb'>;
  readonly filterOutcomes: Counter<'outcome' | 'reason'>;
  readonly bindResults: Counter<'result'>;
  readonly preemptVictims: Counter<'decision'>;
  readonly queueGpu: Gauge<'queue' | 'tenant' | 'pool' | 'kind'>;
  readonly pendingPods: Gauge<'reason'>;
  readonly reservations: Gauge<'kind'>;
  readonly leader: Gauge;
  readonly ready: Gauge;
  readonly badRequests: Counter<'endpoint'>;
  readonly webhookRequests: Counter<'kind' | 'result'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    this.decisionSeconds = new Histogram({
      name: 'tessera_extender_decision_duration_seconds',
      help: 'Time to answer one extender call, by verb',
      labelNames: ['verb'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [r],
    });
    this.filterOutcomes = new Counter({
      name: 'tessera_extender_filter_nodes_total',
      help: 'Nodes judged by filter, by outcome (passed, failed, unresolvable) and reason class',
      labelNames: ['outcome', 'reason'],
      registers: [r],
    });
    this.bindResults = new Counter({
      name: 'tessera_extender_binds_total',
      help: 'Bind calls by result',
      labelNames: ['result'],
      registers: [r],
    });
    this.preemptVictims = new Counter({
      name: 'tessera_extender_preemption_victims_total',
      help: 'Victims proposed by kube-scheduler, by whether the extender kept or dropped them',
      labelNames: ['decision'],
      registers: [r],
    });
    this.queueGpu = new Gauge({
      name: 'tessera_extender_queue_gpus',
      help: 'Queue amounts in GPU equivalents (fractional): guarantee, limit, used, borrowed, lent',
      labelNames: ['queue', 'tenant', 'pool', 'kind'],
      registers: [r],
    });
    this.pendingPods = new Gauge({
      name: 'tessera_extender_pending_pods',
      help: 'Pods waiting for accelerators, by reason class of their last filter',
      labelNames: ['reason'],
      registers: [r],
    });
    this.reservations = new Gauge({
      name: 'tessera_extender_grants',
      help: 'Device grants held in the ledger by kind (bound, decided, reserved)',
      labelNames: ['kind'],
      registers: [r],
    });
    this.leader = new Gauge({ name: 'tessera_extender_leader', help: '1 when this replica is the leader', registers: [r] });
    this.ready = new Gauge({ name: 'tessera_extender_ready', help: '1 when the cache is synced and serving', registers: [r] });
    this.badRequests = new Counter({
      name: 'tessera_extender_bad_requests_total',
      help: 'Requests rejected as malformed, by endpoint',
      labelNames: ['endpoint'],
      registers: [r],
    });
    this.webhookRequests = new Counter({
      name: 'tessera_extender_webhook_requests_total',
      help: 'Admission reviews by kind (mutate, validate) and result (allowed, denied, error)',
      labelNames: ['kind', 'result'],
      registers: [r],
    });
    if (opts.defaultMetrics === true) collectDefaultMetrics({ register: r, prefix: 'tessera_extender_' });
  }
}
