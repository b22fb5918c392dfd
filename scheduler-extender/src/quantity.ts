/**
 * Kubernetes resource quantities (`500m`, `2`, `1.5`, `4Gi`, `1e3`) in the units Tessera
 * counts: CPU in milli-cores, memory in MiB, extended resources as plain integers.
 */
import { PodRequestError } from './errors.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** The value of a quantity in base units (cores, bytes, items); throws naming the field. */
export function parseQuantity(field: string, raw: unknown): number {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw !== 'string') {
    throw new PodRequestError(`${field}: expected a Kubernetes quantity string like "2", "500m" or "4Gi", got ${JSON.stringify(raw)}`);
  }
  const m = QUANTITY.exec(raw.trim());
  if (m === null) {
    throw new PodRequestError(`${field}: expected a Kubernetes quantity like "2", "500m" or "4Gi", got "${raw}"`);
  }
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix] ?? 1;
  return base * mult;
}

/** CPU quantity to milli-cores (rounded up, as Kubernetes does). */
export function cpuToMilli(field: string, raw: unknown): number {
  return Math.ceil(parseQuantity(field, raw) * 1000 - 1e-9);
}

/** Memory quantity (bytes) to MiB, rounded up. */
export function memoryToMiB(field: string, raw: unknown): number {
  return Math.ceil(parseQuantity(field, raw) / 2 ** 20 - 1e-9);
}

/** An extended-resource count: must be a whole, non-negative number. */
export function parseCount(field: string, raw: unknown, opts: { min?: number; max?: number } = {}): number {
  const v = parseQuantity(field, raw);
  const min = opts.min ?? 0;
  if (!Number.isInteger(v) || v < min || (opts.max !== undefined && v > opts.max)) {
    const range = opts.max === undefined ? `an integer ≥ ${min}` : `an integer ${min}–${opts.max}`;
    throw new PodRequestError(`${field}: expected ${range}, got ${JSON.stringify(raw)}`);
  }
  return v;
}
