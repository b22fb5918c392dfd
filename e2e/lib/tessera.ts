/**
 * Starting the Tessera services from the repository CLI (`tessera extender`,
 * `tessera agent`) as separate processes, the way a deployment runs them.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { httpsStatus } from './control-plane.js';
import { REPO_ROOT } from './manifests.js';
import { freePort, startProc, stopProc, waitFor, type Proc } from './procs.js';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'cli', 'main.ts');

/** `tessera <cmd> --help`, or the error text when the command fails. */
export function cliHelp(cmd: string): string {
  try {
    return execFileSync(TSX, [CLI, cmd, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  } catch (err) {
    return `ERROR: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Whether `tessera <cmd>` exists and is more than the skeleton's placeholder. */
export function cliImplemented(cmd: string): boolean {
  const help = cliHelp(cmd);
  return !help.startsWith('ERROR') && !help.includes('not yet implemented');
}

export interface Service {
  readonly proc: Proc;
  readonly url: string;
  readonly port: number;
}

/** Runs `tessera <args>` from the repository as a child process. */
export function startCli(name: string, args: readonly string[], runDir: string, env: NodeJS.ProcessEnv = {}): Proc {
  return startProc({ name, runDir, command: TSX, args: [CLI, ...args], cwd: REPO_ROOT, env: { ...process.env, ...env } });
}

export interface ExtenderOptions {
  readonly runDir: string;
  readonly kubeconfig: string;
  readonly port: number;
  /** HTTPS port of the admission webhooks (certificate from `tls`). */
  readonly webhookPort: number;
  readonly tls: { certFile: string; keyFile: string };
  readonly schedulerName: string;
  readonly name?: string;
}

/**
 * `tessera extender` (flags as `tessera extender --help` documents them) on loopback: verbs
 * over HTTPS (`--https`, the `tls` certificate; kube-scheduler trusts its CA through the
 * config's tlsConfig.caData, as manifests/base does) on `port` under /scheduler (the
 * scheduler config's urlPrefix points here), webhooks over HTTPS on `webhookPort`, no
 * leader election, API access as the extender identity (KUBECONFIG).
 */
export async function startExtender(opts: ExtenderOptions): Promise<Service> {
  const proc = startCli(
    opts.name ?? 'tessera-extender',
    [
      'extender',
      `--listen=127.0.0.1:${opts.port}`,
      '--https',
      '--verb-prefix=/scheduler',
      `--webhook-listen=127.0.0.1:${opts.webhookPort}`,
      `--tls-cert=${opts.tls.certFile}`,
      `--tls-key=${opts.tls.keyFile}`,
      `--kubeconfig=${opts.kubeconfig}`,
      '--log-level=debug',
    ],
    opts.runDir,
  );
  const url = `https://127.0.0.1:${opts.port}`;
  await waitFor(
    'tessera extender /healthz',
    async () => ((await httpsStatus(`${url}/healthz`).catch(() => 0)) === 200 ? true : undefined),
    { proc, timeoutMs: 60_000, intervalMs: 300 },
  );
  return { proc, url, port: opts.port };
}

export interface AgentOptions {
  readonly runDir: string;
  readonly kubeconfig: string;
  readonly nodeName: string;
  readonly devicePluginDir: string;
  readonly podResourcesSocket?: string;
  readonly stateDir: string;
  readonly metricsPort: number;
  /** Extra flags selecting the fixture machine for `--backend=fixture`. */
  readonly fixtureArgs: readonly string[];
  readonly name?: string;
}

/** `tessera agent --backend=fixture` for one node (flags as in manifests/base/agent), serving its device plugin in `devicePluginDir`. */
export function startAgent(opts: AgentOptions): Proc {
  return startCli(
    opts.name ?? `tessera-agent-${opts.nodeName}`,
    [
      'agent',
      '--backend=fixture',
      ...opts.fixtureArgs,
      `--node-name=${opts.nodeName}`,
      `--metrics-listen=127.0.0.1:${opts.metricsPort}`,
      `--device-plugin-dir=${opts.devicePluginDir}`,
      `--pod-resources-socket=${opts.podResourcesSocket ?? ''}`,
      `--kubeconfig=${opts.kubeconfig}`,
      `--state-dir=${opts.stateDir}`,
      '--log-level=debug',
    ],
    opts.runDir,
  );
}

export async function stopService(s: Service | Proc | undefined): Promise<void> {
  if (s === undefined) return;
  await stopProc('proc' in s ? s.proc : s);
}
