/**
 * GPU fragmentation in the sense of FGD (Weng et al., ATC'23; definitions restated in
 * shared/BENCHMARKS.md §2.2). Used both as a scoring term and as the benchmark metric.
 *
 * All amounts are milli-devices. Memory is not considered, as in FGD.
 */

/** One kind of pod in the workload mix. */
export interface TaskClass {
  readonly cpuMilli: number;
  /** Devices per pod (openb `num_gpu`); 0 for CPU-only pods. */
  readonly deviceCount: number;
  /** Compute per device in milli-devices (openb `gpu_milli`); 1000 = whole device; 0 for CPU-only. */
  readonly computeMilli: number;
  /** Allowed device models (openb `gpu_spec`); undefined or empty = any model. */
  readonly models?: readonly string[];
  /** Probability p_m of this class in the mix; the weights of a mix sum to 1. */
  readonly weight: number;
  /**
   * Multiplier of this class's F* in `placementFragmentation` (default 1); `withHostScarcity`
   * sets it to how scarce the class's hosts are (experimental, off in the default policy).
   */
  readonly fillScale?: number;
}

/** What fragmentation needs to know about a node: its free CPU and per-device free compute. */
export interface NodeFreeState {
  readonly cpuMilli: number;
  /** Free compute of every healthy device, milli-devices. */
  readonly deviceFreeMilli: readonly number[];
  /** Device model of the node (openb nodes are homogeneous). */
  readonly model: string;
}

function idleMilli(node: NodeFreeState): number {
  let sum = 0;
  for (const f of node.deviceFreeMilli) sum += f;
  return sum;
}

/** True when `model` is acceptable to the task (exact, case-insensitive match against its list). */
export function modelAllowed(task: Pick<TaskClass, 'models'>, model: string): boolean {
  if (task.models === undefined || task.models.length === 0) return true;
  const m = model.toLowerCase();
  return task.models.some((allowed) => allowed.toLowerCase() === m);
}

/**
 * F_n(m): the free compute of node n that task m could not use.
 * - CPU-only task, disallowed model, or a task that does not fit: all idle compute.
 * - A task that fits: the free compute of devices with less free than the task needs per device.
 */
export function taskFragmentation(node: NodeFreeState, task: TaskClass): number {
  const idle = idleMilli(node);
  if (task.deviceCount === 0 || task.computeMilli === 0) return idle;
  if (!modelAllowed(task, node.model)) return idle;
  if (node.cpuMilli < task.cpuMilli) return idle;
  let usable = 0;
  let stranded = 0;
  for (const free of node.deviceFreeMilli) {
    if (free >= task.computeMilli) usable += 1;
    else stranded += free;
  }
  if (usable < task.deviceCount) return idle;
  return stranded;
}

/** F_n(M) = Σ_m p_m · F_n(m). */
export function nodeFragmentation(node: NodeFreeState, mix: readonly TaskClass[]): number {
  let sum = 0;
  for (const task of mix) sum += task.weight * taskFragmentation(node, task);
  return sum;
}

/**
 * Fill fragmentation F*_n(m): the free compute of node n that copies of task m could not
 * use if the node were filled with as many of them as its CPU and devices allow.
 * - CPU-only task, disallowed model: all idle compute (as F_n(m)).
 * - Otherwise: copies = min(⌊free CPU / task CPU⌋, ⌊slots / devices per task⌋), where a
 *   device offers ⌊free / per-device compute⌋ slots to a share and one slot to a whole-device
 *   task (free ≥ its compute), and one copy takes its devices on distinct devices;
 *   F* = idle − copies × devices × per-device compute (≥ 0).
 *
 * F*_n(m) ≥ F_n(m), equal when the task does not fit. Where FGD's F asks "can one more m
 * land here", F* also sees what one m leaves for the next ones: CPU that runs out before
 * the devices (a node whose CPU is used up strands its GPUs) and share slack (two 470-milli
 * shares leave 60 of a device, three 320s leave 40).
 */
export function taskFillFragmentation(node: NodeFreeState, task: TaskClass): number {
  const idle = idleMilli(node);
  if (task.deviceCount === 0 || task.computeMilli === 0) return idle;
  if (!modelAllowed(task, node.model)) return idle;
  const cpuCopies = task.cpuMilli > 0 ? Math.floor(Math.max(0, node.cpuMilli) / task.cpuMilli) : Infinity;
  const whole = task.computeMilli >= 1000;
  const c = task.deviceCount;
  let slots = 0;
  for (const free of node.deviceFreeMilli) slots += deviceSlots(free, task.computeMilli, whole);
  let copies = Math.min(cpuCopies, Math.floor(slots / c));
  if (c > 1) {
    // a copy takes c distinct devices: k copies fit iff Σ_d min(slots_d, k) ≥ k·c
    for (; copies > 0; copies--) {
      let room = 0;
      for (const free of node.deviceFreeMilli) room += Math.min(deviceSlots(free, task.computeMilli, whole), copies);
      if (room >= copies * c) break;
    }
  }
  return Math.max(0, idle - copies * c * task.computeMilli);
}

function deviceSlots(free: number, computeMilli: number, whole: boolean): number {
  if (free < computeMilli) return 0;
  return whole ? 1 : Math.floor(free / computeMilli);
}

/**
 * How much of F* the placement measure adds to FGD's F (`placementFragmentation`). Chosen on
 * the openb traces (bench/RESULTS.md, "Placement quality on openb"): screened 0.02–0.5 on
 * seeds 42–45 (default, multigpu40), then 0.05 and 0.1 on seeds 42–51 of five workloads.
 * 0.1 leaves fewer GPUs unallocated at 100 % arrived (default 4.26 vs 4.43 %) but more at
 * 95 % (8-GPU pods fail earlier: default 5.7 vs 5.0 %); 0.05 is no worse than FGD's F at
 * 95 % or 100 % on default, cpu100, gpushare40/80 and equal at 100 % on multigpu40.
 */
export const DEFAULT_FILL_WEIGHT = 0.05;

/**
 * The fragmentation the production policy minimises: Σ_m p_m · (F_n(m) + fillWeight · F*_n(m)).
 * With fillWeight 0 this is FGD's F_n(M) exactly (`nodeFragmentation`), which stays the metric.
 */
export function placementFragmentation(node: NodeFreeState, mix: readonly TaskClass[], fillWeight: number): number {
  if (fillWeight === 0) return nodeFragmentation(node, mix);
  let sum = 0;
  for (const task of mix) sum += task.weight * (taskFragmentation(node, task) + fillWeight * (task.fillScale ?? 1) * taskFillFragmentation(node, task));
  return sum;
}

/**
 * The mix with each class's F* scaled by the scarcity of its hosts: fillScale = all devices of
 * the cluster / devices on the nodes that could host one pod of the class when empty (model
 * allowed, enough devices and CPU); 1 for a class every node can host, and for a class no
 * node can host. `nodes`: model, device count and CPU of every node.
 */
export function withHostScarcity(
  mix: readonly TaskClass[],
  nodes: readonly { readonly model: string; readonly devices: number; readonly cpuMilli: number }[],
): TaskClass[] {
  let total = 0;
  for (const n of nodes) total += n.devices;
  return mix.map((task) => {
    let hosts = 0;
    for (const n of nodes) {
      if (modelAllowed(task, n.model) && n.devices >= task.deviceCount && n.cpuMilli >= task.cpuMilli) hosts += n.devices;
    }
    return { ...task, fillScale: hosts > 0 && total > 0 ? total / hosts : 1 };
  });
}

/** The shape of a pod for grouping into task classes (weight is computed). */
export type TaskShape = Omit<TaskClass, 'weight'>;

function shapeKey(s: TaskShape): string {
  const models = s.models === undefined ? '' : [...s.models].sort().join('|');
  return `${s.cpuMilli}/${s.deviceCount}/${s.computeMilli}/${models}`;
}

/**
 * The "typical pods" of a workload (FGD `GetTypicalPods`): group pods by shape, sort the
 * shapes by frequency (ties: by first appearance), keep the most frequent ones until they
 * cover at least `coverage` of all pods, and renormalise their frequencies to sum to 1.
 */
export function typicalTaskClasses(pods: readonly TaskShape[], coverage = 0.95): TaskClass[] {
  if (pods.length === 0) return [];
  const groups = new Map<string, { shape: TaskShape; count: number; first: number }>();
  pods.forEach((shape, i) => {
    const key = shapeKey(shape);
    const g = groups.get(key);
    if (g) g.count += 1;
    else groups.set(key, { shape, count: 1, first: i });
  });
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.first - b.first);
  const kept: { shape: TaskShape; count: number }[] = [];
  let covered = 0;
  for (const g of sorted) {
    if (covered / pods.length >= coverage) break;
    kept.push(g);
    covered += g.count;
  }
  return kept.map(({ shape, count }) => ({ ...shape, weight: count / covered }));
}
