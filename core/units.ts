/**
 * Quantities used everywhere in Tessera. All are integers in explicit units.
 *
 * - compute is counted in milli-devices: one whole GPU / NPU chip = 1000 milli
 *   (the Alibaba openb `gpu_milli` unit; HAMi `gpucores: 30` = 300 milli).
 * - device memory is counted in MiB.
 * - CPU is counted in milli-cores (Kubernetes `cpu: 1500m`), host memory in MiB.
 */
export const MILLI_PER_DEVICE = 1000;

/** Percent (0–100) of one device to milli-devices. */
export function percentToMilli(percent: number): number {
  return Math.round(percent * 10);
}

/** Milli-devices to GPU equivalents (a float, for display and quota sums). */
export function milliToDevices(milli: number): number {
  return milli / MILLI_PER_DEVICE;
}

/** Round a MiB value derived from a percentage down to a whole MiB (never over-promise). */
export function percentOfMiB(totalMiB: number, percent: number): number {
  return Math.floor((totalMiB * percent) / 100);
}
