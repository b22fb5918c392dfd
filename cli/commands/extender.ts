import type { Command } from 'commander';

function intOption(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a positive integer, got "${v}"`);
  return n;
}

export function registerExtender(program: Command): void {
  program
    .command('extender')
    .description('scheduler extender (filter/prioritize/preempt/bind), admission webhook, admin API and metrics')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config or in-cluster)')
    .option('--listen <host:port>', 'extender verbs + admin API + /metrics address', '127.0.0.1:8888')
    .option('--webhook-listen <host:port>', "HTTPS admission webhook address ('' to disable)", '127.0.0.1:8443')
    .option('--https', 'serve the verbs, admin API and /metrics over HTTPS too (same certificate as the webhook; scheduler config enableHTTPS: true)', false)
    .option('--tls-cert <file>', 'TLS certificate (PEM) of the webhook (and of --listen with --https); default: a generated self-signed one')
    .option('--tls-key <file>', 'webhook TLS key (PEM)')
    .option('--tls-cert-file <file>', 'same as --tls-cert')
    .option('--tls-key-file <file>', 'same as --tls-key')
    .option('--scheduler-name <name>', 'schedulerName the mutating webhook gives accelerator pods', 'tessera-scheduler')
    .option('--leader-elect', 'elect a leader through a coordination.k8s.io Lease (run several replicas)', false)
    .option('--lease-namespace <ns>', 'namespace of the leader Lease', 'tessera-system')
    .option('--lease-name <name>', 'name of the leader Lease', 'tessera-extender')
    .option('--identity <id>', 'leader identity (default hostname-pid)')
    .option('--reservation-ttl <ms>', 'how long filter holds devices for a pod not yet bound', '30000')
    .option('--cache-shapes <n>', 'pod shapes whose per-node results are memoised (memory vs CPU)', '64')
    .option('--verb-prefix <path>', "path prefix of the verbs (the scheduler's urlPrefix path)", '')
    .option('--print-managed-resources', 'print the managedResources list for KubeSchedulerConfiguration as JSON and exit', false)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      if (opts['printManagedResources'] === true) {
        const { managedResources } = await import('../../scheduler-extender/src/resources.js');
        process.stdout.write(`${JSON.stringify(managedResources, null, 2)}\n`);
        return;
      }
      const { runExtender } = await import('../../scheduler-extender/src/main.js');
      const running = await runExtender({
        ...(typeof opts['kubeconfig'] === 'string' ? { kubeconfig: opts['kubeconfig'] } : {}),
        listen: String(opts['listen']),
        https: opts['https'] === true,
        ...(typeof opts['webhookListen'] === 'string' && opts['webhookListen'] !== '' ? { webhookListen: opts['webhookListen'] } : {}),
        ...(typeof (opts['tlsCert'] ?? opts['tlsCertFile']) === 'string' ? { tlsCert: String(opts['tlsCert'] ?? opts['tlsCertFile']) } : {}),
        ...(typeof (opts['tlsKey'] ?? opts['tlsKeyFile']) === 'string' ? { tlsKey: String(opts['tlsKey'] ?? opts['tlsKeyFile']) } : {}),
        schedulerName: String(opts['schedulerName']),
        leaderElect: opts['leaderElect'] === true,
        leaseNamespace: String(opts['leaseNamespace']),
        leaseName: String(opts['leaseName']),
        ...(typeof opts['identity'] === 'string' ? { identity: opts['identity'] } : typeof process.env['POD_NAME'] === 'string' ? { identity: process.env['POD_NAME'] } : {}),
        reservationTtlMs: intOption('--reservation-ttl', String(opts['reservationTtl'])),
        verbPrefix: String(opts['verbPrefix'] ?? ''),
        cacheShapesPerNode: intOption('--cache-shapes', String(opts['cacheShapes'])),
        logLevel: String(opts['logLevel']),
      });
      const shutdown = (): void => {
        running.service.log.info('stopping');
        void running.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
