import type { Command } from 'commander';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('node agent: device discovery, kubelet device plugin (whole devices and shares), health, inventory annotation, metrics')
    .option('--node-name <name>', 'this node (default $NODE_NAME, else the hostname)')
    .option('--kubeconfig <file>', 'kubeconfig (default: in-cluster when in a pod; none = standalone)')
    .option('--backend <name>', 'discovery backend: nvidia | ascend | fixture', 'nvidia')
    .option('--fixture-dir <dir>', 'fixture backend directory with fixture.json (e.g. node-agent/fixtures/dgx-a100-8x)')
    .option('--device-plugin-dir <dir>', 'kubelet device-plugin directory', '/var/lib/kubelet/device-plugins/')
    .option('--pod-resources-socket <path>', "kubelet pod-resources socket ('' to skip)", '/var/lib/kubelet/pod-resources/kubelet.sock')
    .option('--state-dir <dir>', 'where the allocation checkpoint lives', '/var/lib/tessera')
    .option('--metrics-listen <[host:]port>', "metrics / healthz / readyz address ('' to disable)", '127.0.0.1:9400')
    .option('--slots-per-device <n>', 'nvidia.com/gpu IDs advertised per GPU (shares)', '4')
    .option('--nvidia-smi <path>', 'nvidia-smi executable', 'nvidia-smi')
    .option('--npu-smi <path>', 'npu-smi executable', 'npu-smi')
    .option('--xid-command <cmd>', "command printing the kernel log for XID events (e.g. 'journalctl -k -o cat --since=-10min')")
    .option('--ignored-xids <list>', "extra XIDs to ignore (the default 13,31,43,45,68,109 always), or 'all'")
    .option('--poll-interval <ms>', 'discovery / health poll interval', '10000')
    .option('--recover-after-polls <n>', 'consecutive healthy polls before a device is offered again', '3')
    .option('--vnpu-templates <list>', 'vNPU template resources for Ascend 910', '2c,4c,8c,16c')
    .option('--dcgm-exporter-url <url>', 'relay this dcgm-exporter /metrics (relabelled) instead of polling GPU telemetry')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: Record<string, unknown>) => {
      const { runAgent } = await import('../../node-agent/src/main.js');
      const running = await runAgent(opts as unknown as Parameters<typeof runAgent>[0]);
      const shutdown = (): void => {
        running.log.info('stopping');
        void running.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
