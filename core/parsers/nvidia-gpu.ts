/**
 * The GPU list shared by the `nvidia-smi -q -x` and `--query-gpu` parsers, and the health
 * rule both apply. A GPU is marked unhealthy when the driver says it needs attention
 * before it can be trusted again: pending page retirement or row remapping (reset
 * required), a row-remapping failure, a reset required / drain-and-reset recommended,
 * or a GPU recovery action other than None.
 */
import type { DeviceHealth } from '../model.js';

export interface NvidiaMigDevice {
  readonly index: number;
  readonly gpuInstanceId: number | null;
  readonly computeInstanceId: number | null;
  readonly multiprocessorCount: number | null;
  readonly memoryMiB: number | null;
}

export interface NvidiaGpu {
  /** GPU UUID (`GPU-…`). */
  readonly id: string;
  /** nvidia-smi index: position in `-q -x` output, the `index` column in CSV. Matches `topo -m` GPU<n>. */
  readonly index: number;
  /** /dev/nvidia<minor>; null when not reported (CSV, Windows). */
  readonly minor: number | null;
  readonly model: string;
  /** Total framebuffer memory; null when the output does not carry it. */
  readonly memoryMiB: number | null;
  readonly pciBusId: string | null;
  readonly health: DeviceHealth;
  /** Why the GPU is unhealthy; null when healthy. */
  readonly healthReason: string | null;
  /** MIG mode (current); null when not reported or N/A. */
  readonly migEnabled: boolean | null;
  readonly migDevices: readonly NvidiaMigDevice[];
}

export interface NvidiaGpuList {
  /** Which command produced it (`nvidia-smi -q -x` / `nvidia-smi --query-gpu`). */
  readonly source: string;
  readonly driverVersion: string | null;
  /** XML only: DTD version from the DOCTYPE (`v12`), null otherwise. */
  readonly dtdVersion: string | null;
  readonly gpus: readonly NvidiaGpu[];
  readonly warnings: readonly string[];
}

/** Raw health signals, each the printed value or null when not reported. */
export interface NvidiaHealthSignals {
  readonly retiredPagesPending: string | null;
  readonly remappedRowsPending: string | null;
  readonly remappedRowsFailure: string | null;
  readonly resetRequired: string | null;
  readonly drainAndResetRecommended: string | null;
  readonly recoveryAction: string | null;
}

export function nvidiaHealth(s: NvidiaHealthSignals): { health: DeviceHealth; healthReason: string | null } {
  const reasons: string[] = [];
  const yes = (v: string | null): boolean => v !== null && /^yes$/i.test(v.trim());
  if (yes(s.retiredPagesPending)) reasons.push('page retirement pending (reset required)');
  if (yes(s.remappedRowsPending)) reasons.push('row remapping pending (reset required)');
  if (yes(s.remappedRowsFailure)) reasons.push('row remapping failure');
  if (yes(s.resetRequired)) reasons.push('reset required');
  if (yes(s.drainAndResetRecommended)) reasons.push('drain and reset recommended');
  if (s.recoveryAction !== null && !/^none$/i.test(s.recoveryAction.trim())) {
    reasons.push(`recovery action ${s.recoveryAction.trim()}`);
  }
  return reasons.length === 0
    ? { health: 'healthy', healthReason: null }
    : { health: 'unhealthy', healthReason: reasons.join('; ') };
}

/** A UUID as nvidia-smi prints it (`GPU-xxxxxxxx-…`); masked all-zero UUIDs are accepted. */
export const GPU_UUID = /^GPU-[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/;
