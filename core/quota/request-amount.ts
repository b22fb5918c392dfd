/**
 * What a pod's accelerator request counts against a quota, in accelerator units: whole devices
 * count 1000 milli each; a share counts the larger of its memory and compute fractions of the
 * device (a 25 % share = 250 milli); memory counts MiB. Ascend vNPU templates (`2c`, `4c.3cpu`)
 * count their AI cores over the chip's.
 */
import type { AcceleratorRequest } from '../request.js';
import { MILLI_PER_DEVICE } from '../units.js';
import { RequestError } from '../errors.js';
import type { Amount } from './amount.js';

/** Size of the device the request will land on (the queue's model, or the pool's typical device). */
export interface DeviceSize {
  readonly memoryMiB: number;
  /** Ascend AI cores per chip, for vNPU templates. */
  readonly aiCores?: number;
}

export interface AmountOptions {
  /**
   * The pool's compute overcommit (>= 1) for elastic shares: compute fractions count divided by
   * it (30 % of SMs at 1.5 counts 0.2). Memory is never overcommitted. Default 1.
   */
  readonly computeOvercommit?: number;
}

export function requestAmount(req: AcceleratorRequest, device: DeviceSize, opts: AmountOptions = {}): Amount {
  if (!Number.isInteger(req.count) || req.count < 0) {
    throw new RequestError(`accelerator count: expected a whole number >= 0, got ${req.count}`);
  }
  if (req.kind === 'whole') {
    return { gpuMilli: req.count * MILLI_PER_DEVICE, memoryMiB: req.count * device.memoryMiB };
  }
  const memoryMiB =
    req.memoryMiB ?? (req.memoryPercent === undefined ? 0 : Math.ceil((device.memoryMiB * req.memoryPercent) / 100));
  const memFraction = device.memoryMiB > 0 ? memoryMiB / device.memoryMiB : 0;
  const overcommit = opts.computeOvercommit ?? 1;
  if (!(overcommit >= 1)) throw new RequestError(`compute overcommit: expected a ratio >= 1, got ${overcommit}`);
  const computeFraction = (req.computeMilli ?? 0) / MILLI_PER_DEVICE / overcommit;
  const templateFraction = req.template === undefined ? 0 : templateCores(req.template) / (device.aiCores ?? 0);
  if (!Number.isFinite(templateFraction)) {
    throw new RequestError(`vNPU template ${req.template}: the device's AI core count is needed to count it`);
  }
  const fraction = Math.min(1, Math.max(memFraction, computeFraction, templateFraction));
  const perDeviceMilli = Math.ceil(fraction * MILLI_PER_DEVICE - 1e-9);
  return { gpuMilli: req.count * perDeviceMilli, memoryMiB: req.count * memoryMiB };
}

/** AI cores of an Ascend vNPU template name such as `2c`, `4c.3cpu.ndvpp`, `vir08`. */
export function templateCores(template: string): number {
  const m = /^(?:vir)?0*(\d+)c?/.exec(template);
  if (m === null || m[1] === undefined) {
    throw new RequestError(`vNPU template: expected a name like "2c" or "vir04", got '${template}'`);
  }
  return Number(m[1]);
}
