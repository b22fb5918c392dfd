/**
 * What scorers see besides the node: the ledger, the fragmentation memo (with the workload
 * mix), and helpers computing FGD fragmentation before and after a candidate fit.
 */
import type { PodRequest } from './request.js';
import type { Ledger, NodeView } from './ledger.js';
import type { NodeFit, PlacementOptions } from './fit.js';
import { cachedNodeFragmentation, type FragCache } from './frag-cache.js';

export interface ScoreContext {
  readonly ledger: Ledger;
  readonly options: PlacementOptions;
  readonly fragCache?: FragCache;
}

const freeScratch = new Float64Array(32);

function nodeModel(view: NodeView): string {
  return view.node.devices[0]?.model ?? '';
}

function fillFree(view: NodeView, fit: NodeFit | null): number {
  const node = view.node;
  let k = 0;
  for (let i = 0; i < view.deviceCount; i++) {
    if (view.devHealthy[i] !== 1) continue;
    const cap = node.devices[i]?.computeMilli ?? 0;
    let used = view.devComputeUsed[i] as number;
    if (fit !== null) {
      for (const c of fit.containers) {
        const at = c.positions.indexOf(i);
        if (at >= 0) used += c.computeMilli[at] as number;
      }
    }
    freeScratch[k++] = cap - used;
  }
  return k;
}

interface FragMemo {
  fragOwner: object | null;
  fragVersion: number;
  fragValue: number;
}

/** F_n(M) of the node as it is now (memoised on the node by version and cache). */
export function fragmentationBefore(view: NodeView, cache: FragCache): number {
  const memo = view as unknown as FragMemo;
  if (memo.fragOwner === cache && memo.fragVersion === view.version) return memo.fragValue;
  const k = fillFree(view, null);
  const v = cachedNodeFragmentation(cache, nodeModel(view), view.node.cpuMilli - view.cpuUsedMilli, freeScratch, k);
  memo.fragOwner = cache;
  memo.fragVersion = view.version;
  memo.fragValue = v;
  return v;
}

/** F_n(M) of the node after the pod is placed as `fit` says. */
export function fragmentationAfter(view: NodeView, pod: PodRequest, fit: NodeFit, cache: FragCache): number {
  const k = fillFree(view, fit);
  return cachedNodeFragmentation(cache, nodeModel(view), view.node.cpuMilli - view.cpuUsedMilli - pod.cpuMilli, freeScratch, k);
}

/** FGD Δ = F_before − F_after (milli-devices); positive when the placement reduces fragmentation. */
export function fragmentationDelta(view: NodeView, pod: PodRequest, fit: NodeFit, cache: FragCache): number {
  return fragmentationBefore(view, cache) - fragmentationAfter(view, pod, fit, cache);
}

/** Cluster fragmentation F = Σ_n F_n(M) over every node of the ledger (BENCHMARKS.md §2.2), milli-devices. */
export function ledgerFragmentation(ledger: Ledger, cache: FragCache): number {
  let sum = 0;
  for (let i = 0; i < ledger.nodeCount; i++) sum += fragmentationBefore(ledger.view(i), cache);
  return sum;
}

/** Device compute granted and total over healthy and unhealthy devices (allocation ratio = used / total). */
export function ledgerComputeMilli(ledger: Ledger): { readonly usedMilli: number; readonly totalMilli: number } {
  let used = 0;
  let total = 0;
  for (let i = 0; i < ledger.nodeCount; i++) {
    const v = ledger.view(i);
    for (let d = 0; d < v.deviceCount; d++) {
      const cap = v.node.devices[d]?.computeMilli ?? 0;
      total += cap;
      used += Math.min(cap, v.devComputeUsed[d] as number);
    }
  }
  return { usedMilli: used, totalMilli: total };
}
