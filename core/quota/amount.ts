/**
 * Quota amounts in integer units: GPU equivalents in milli (a 25 % share = 250) and device
 * memory in MiB. A limit may leave memory unbounded (`UNBOUNDED`); usage never does.
 * This is the one module that does quota arithmetic.
 */
import { MILLI_PER_DEVICE } from '../units.js';

/** A dimension a quota may limit. */
export type QuotaDimension = 'gpu' | 'memory';

export interface Amount {
  readonly gpuMilli: number;
  readonly memoryMiB: number;
}

/** Marks an unlimited dimension of a guarantee or limit (arithmetic keeps it unlimited). */
export const UNBOUNDED = Number.POSITIVE_INFINITY;

export const ZERO: Amount = Object.freeze({ gpuMilli: 0, memoryMiB: 0 });

export function amount(gpuMilli: number, memoryMiB = 0): Amount {
  return { gpuMilli, memoryMiB };
}

/** Whole GPUs (or chips) to an amount. */
export function gpus(count: number, memoryMiB = 0): Amount {
  return { gpuMilli: Math.round(count * MILLI_PER_DEVICE), memoryMiB };
}

export function add(a: Amount, b: Amount): Amount {
  return { gpuMilli: a.gpuMilli + b.gpuMilli, memoryMiB: a.memoryMiB + b.memoryMiB };
}

export function sub(a: Amount, b: Amount): Amount {
  return { gpuMilli: a.gpuMilli - b.gpuMilli, memoryMiB: a.memoryMiB - b.memoryMiB };
}

export function max(a: Amount, b: Amount): Amount {
  return { gpuMilli: Math.max(a.gpuMilli, b.gpuMilli), memoryMiB: Math.max(a.memoryMiB, b.memoryMiB) };
}

export function min(a: Amount, b: Amount): Amount {
  return { gpuMilli: Math.min(a.gpuMilli, b.gpuMilli), memoryMiB: Math.min(a.memoryMiB, b.memoryMiB) };
}

/** max(0, a − b) per dimension. */
export function excess(a: Amount, b: Amount): Amount {
  return max(ZERO, sub(a, b));
}

export function scale(a: Amount, factor: number): Amount {
  return { gpuMilli: a.gpuMilli * factor, memoryMiB: a.memoryMiB * factor };
}

/** a ≤ b in every dimension. */
export function fits(a: Amount, b: Amount): boolean {
  return a.gpuMilli <= b.gpuMilli && a.memoryMiB <= b.memoryMiB;
}

export function isZero(a: Amount): boolean {
  return a.gpuMilli === 0 && a.memoryMiB === 0;
}

export function equals(a: Amount, b: Amount): boolean {
  return a.gpuMilli === b.gpuMilli && a.memoryMiB === b.memoryMiB;
}

export function sum(list: Iterable<Amount>): Amount {
  let gpuMilli = 0;
  let memoryMiB = 0;
  for (const a of list) {
    gpuMilli += a.gpuMilli;
    memoryMiB += a.memoryMiB;
  }
  return { gpuMilli, memoryMiB };
}

/** The first dimension where `a` exceeds `b`, or null when `a` fits. */
export function firstExceeded(a: Amount, b: Amount): QuotaDimension | null {
  if (a.gpuMilli > b.gpuMilli) return 'gpu';
  if (a.memoryMiB > b.memoryMiB) return 'memory';
  return null;
}

export function valueOf(a: Amount, dim: QuotaDimension): number {
  return dim === 'gpu' ? a.gpuMilli : a.memoryMiB;
}

/** Display form: GPUs as decimal equivalents, memory in MiB, unbounded as "unlimited". */
export function formatDimension(value: number, dim: QuotaDimension): string {
  if (value === UNBOUNDED) return 'unlimited';
  if (dim === 'gpu') return `${trimDecimal(value / MILLI_PER_DEVICE)}`;
  return `${value} MiB`;
}

export function formatAmount(a: Amount): string {
  const gpu = `${formatDimension(a.gpuMilli, 'gpu')} GPU`;
  if (a.memoryMiB === 0) return gpu;
  return `${gpu}, ${formatDimension(a.memoryMiB, 'memory')}`;
}

function trimDecimal(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

/**
 * Amounts kept apart per device model ("" = any model), for pools that mix models. Queues that
 * name a model are only checked against that model's amounts.
 */
export type PerModel = ReadonlyMap<string, Amount>;

export function addPerModel(a: PerModel, model: string, b: Amount): Map<string, Amount> {
  const out = new Map(a);
  out.set(model, add(out.get(model) ?? ZERO, b));
  return out;
}
