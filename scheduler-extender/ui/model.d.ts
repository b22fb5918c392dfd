// Types of model.js for the TypeScript tests (the page itself is plain JavaScript).
export interface ShareLike { exclusive: boolean; memoryMiB: number; computeMilli: number }
export interface DeviceLike { model: string; health: string; memoryMiB: number; usedMemoryMiB: number; usedComputeMilli: number; exclusive: boolean; shares: ShareLike[] }
export interface NodeLike { pool: string | null; devices: DeviceLike[] }
export interface QueueLike { pool: string; model?: string | null; guarantee: { gpu: number | null }; used: { gpu: number | null }; borrowed: { gpu: number | null; memoryMiB?: number | null }; lent: { gpu: number | null; memoryMiB?: number | null } }
export interface ModelTotals { model: string; devices: number; unhealthy: number; memoryMiB: number; allocated: number; usedMemoryMiB: number; borrowed: number | null; lent: number | null }
export interface PoolTotals { pool: string; nodes: number; borrowed: number; lent: number; borrowedMiB: number; lentMiB: number; guarantee: number; used: number; models: ModelTotals[]; total: Omit<ModelTotals, 'model' | 'borrowed' | 'lent'> }
export function fmtGpu(n: number | null | undefined): string;
export function fmtMiB(mib: number | null | undefined): string;
export function fmtPercent(fraction: number): string;
export function fmtAge(atMs: number, nowMs: number): string;
export function shareUnits(share: ShareLike, deviceMemoryMiB: number): number;
export function deviceUnits(device: DeviceLike): number;
export function occupancy(device: DeviceLike): number;
export function poolSummary(nodes: NodeLike[], queues: QueueLike[]): PoolTotals[];
export function groupLabel(kind: string, groups: number[][], index: number | null | undefined): string;
export function viridis(t: number): { background: string; text: string };
export function podKey(ref: { namespace: string; name: string }): string;
