/**
 * Child processes of the e2e run: each one is started in its own process group
 * (detached), logs to a file under the run directory, and is recorded in
 * `<runDir>/pids` so that e2e/run.sh can stop every group it started even when
 * vitest itself dies. Stopping sends SIGTERM to the group, then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly runDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Called with every stdout line (also written to the log file). */
  readonly onStdoutLine?: (line: string) => void;
}

export function startProc(opts: StartOptions): Proc {
  const logFile = join(opts.runDir, `${opts.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  // Without a line callback the child writes straight into its log file, so it keeps
  // running normally if the process that started it (a vitest worker) goes away.
  const fd = opts.onStdoutLine === undefined ? openSync(logFile, 'a') : undefined;
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // own process group: we stop the whole group
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  if (child.pid !== undefined) appendFileSync(join(opts.runDir, 'pids'), `${child.pid} ${opts.name}\n`);
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    if (opts.onStdoutLine === undefined) return;
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      opts.onStdoutLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (err) => {
      log.write(`\n[e2e] failed to start ${opts.command}: ${err.message}\n`);
      resolve('spawn-error');
    });
    child.on('exit', (code, signal) => {
      log.write(`\n[e2e] ${opts.name} exited code=${code} signal=${signal}\n`);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return { name: opts.name, child, logFile, exited };
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProc(proc: Proc, graceMs = 5_000): Promise<void> {
  const pid = proc.child.pid;
  if (pid === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  killGroup(pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([proc.exited, timer])) === 'timeout') {
    killGroup(pid, 'SIGKILL');
    await proc.exited;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Stops every recorded process group of a run that is still alive (SIGTERM, then SIGKILL). */
export async function stopRecorded(runDir: string): Promise<void> {
  let lines: string[] = [];
  try {
    lines = readFileSync(join(runDir, 'pids'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  const pids = lines.map((l) => Number(l.split(' ')[0])).filter((p) => Number.isInteger(p) && p > 1);
  const alive = (pid: number): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of pids) if (alive(pid)) killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) if (alive(pid)) killGroup(pid, 'SIGKILL');
}

/** Kills one process group we started, at once (a crash, for restart scenarios). */
export function killNow(pid: number): void {
  killGroup(pid, 'SIGKILL');
}

/** Last lines of a process log, for failure messages. */
export function logTail(proc: Proc, lines = 30): string {
  try {
    return readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined, or fails with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; proc?: Proc } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (opts.proc !== undefined && (opts.proc.child.exitCode !== null || opts.proc.child.signalCode !== null)) {
      throw new Error(`${what}: ${opts.proc.name} exited early; log tail:\n${logTail(opts.proc)}`);
    }
    if (Date.now() > deadline) {
      const tail = opts.proc !== undefined ? `\nlog tail of ${opts.proc.name}:\n${logTail(opts.proc)}` : '';
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${tail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
