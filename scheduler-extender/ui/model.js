// Pure helpers of the resource board: number formats, pool totals, colour scale.
// No DOM here, so the same module runs in the browser and in vitest.

/** GPU equivalents: up to two decimals, "∞" for unlimited (null). */
export function fmtGpu(n) {
  if (n === null || n === undefined) return '∞';
  return String(Number(n.toFixed(2)));
}

/** Device memory: MiB → GiB with one decimal, "∞" for unlimited. */
export function fmtMiB(mib) {
  if (mib === null || mib === undefined) return '∞';
  return `${(mib / 1024).toFixed(1)} GiB`;
}

export function fmtPercent(fraction) {
  return `${Math.round(fraction * 100)}%`;
}

/** "3 min ago" style age of a timestamp, from `nowMs`. */
export function fmtAge(atMs, nowMs) {
  const s = Math.max(0, Math.round((nowMs - atMs) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/**
 * What one share counts in GPU equivalents, as the quota counts it: a whole (exclusive)
 * device is 1; a share is the larger of its memory and compute fractions, at most 1.
 */
export function shareUnits(share, deviceMemoryMiB) {
  if (share.exclusive) return 1;
  const mem = deviceMemoryMiB > 0 ? share.memoryMiB / deviceMemoryMiB : 0;
  return Math.min(1, Math.max(mem, share.computeMilli / 1000));
}

/** Allocated GPU equivalents of a device: sum of its shares, at most 1. */
export function deviceUnits(device) {
  let sum = 0;
  for (const s of device.shares) sum += shareUnits(s, device.memoryMiB);
  return Math.min(1, sum);
}

/** Occupancy of a device in [0, 1]: the larger of memory and compute use. */
export function occupancy(device) {
  if (device.exclusive) return 1;
  const mem = device.memoryMiB > 0 ? device.usedMemoryMiB / device.memoryMiB : 0;
  return Math.min(1, Math.max(mem, device.usedComputeMilli / 1000));
}

/**
 * Pool totals from the node view and the queue usage: per pool, per device model, the
 * capacity (devices, memory), what is allocated (GPU equivalents, memory), unhealthy devices;
 * per pool, borrowed and lent (GPU equivalents and MiB) summed over its queues, and per model
 * for queues whose guarantee names that model (null when none does).
 */
export function poolSummary(nodes, queues) {
  const pools = new Map();
  const get = (name) => {
    let p = pools.get(name);
    if (p === undefined) {
      p = { pool: name, nodes: 0, models: new Map(), borrowed: 0, lent: 0, borrowedMiB: 0, lentMiB: 0, guarantee: 0, used: 0 };
      pools.set(name, p);
    }
    return p;
  };
  for (const n of nodes) {
    const p = get(n.pool ?? '(no pool)');
    p.nodes += 1;
    for (const d of n.devices) {
      let m = p.models.get(d.model);
      if (m === undefined) {
        m = { model: d.model, devices: 0, unhealthy: 0, memoryMiB: 0, allocated: 0, usedMemoryMiB: 0, borrowed: null, lent: null };
        p.models.set(d.model, m);
      }
      m.devices += 1;
      if (d.health !== 'healthy') m.unhealthy += 1;
      m.memoryMiB += d.memoryMiB;
      m.allocated += deviceUnits(d);
      m.usedMemoryMiB += d.usedMemoryMiB;
    }
  }
  for (const q of queues) {
    const p = get(q.pool);
    p.borrowed += q.borrowed.gpu ?? 0;
    p.lent += q.lent.gpu ?? 0;
    p.borrowedMiB += q.borrowed.memoryMiB ?? 0;
    p.lentMiB += q.lent.memoryMiB ?? 0;
    // Queues whose guarantee names a device model are also counted under that model.
    const m = q.model ? p.models.get(q.model) : undefined;
    if (m !== undefined) {
      m.borrowed = (m.borrowed ?? 0) + (q.borrowed.gpu ?? 0);
      m.lent = (m.lent ?? 0) + (q.lent.gpu ?? 0);
    }
    p.guarantee += q.guarantee.gpu ?? 0;
    p.used += q.used.gpu ?? 0;
  }
  return [...pools.values()]
    .sort((a, b) => a.pool.localeCompare(b.pool))
    .map((p) => {
      const models = [...p.models.values()].sort((a, b) => a.model.localeCompare(b.model));
      const total = models.reduce(
        (t, m) => ({ devices: t.devices + m.devices, unhealthy: t.unhealthy + m.unhealthy, memoryMiB: t.memoryMiB + m.memoryMiB, allocated: t.allocated + m.allocated, usedMemoryMiB: t.usedMemoryMiB + m.usedMemoryMiB }),
        { devices: 0, unhealthy: 0, memoryMiB: 0, allocated: 0, usedMemoryMiB: 0 },
      );
      return { ...p, models, total };
    });
}

/** Name of an interconnect group for people: NVLink island, HCCS ring, or PCIe. */
export function groupLabel(kind, groups, index) {
  if (index === null || index === undefined) return 'no interconnect group';
  if (kind === 'hccs') return groups.length === 1 ? 'HCCS full mesh' : `HCCS ring ${index}`;
  if (kind === 'nvlink') return groups.every((g) => g.length === 1) ? `PCIe slot ${index}` : `NVLink island ${index}`;
  return `group ${index}`;
}

// Viridis at 9 stops (perceptually uniform, readable with the common colour-vision deficiencies).
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** Colour of an occupancy in [0, 1] on the viridis scale, with a text colour that reads on it. */
export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  const rgb = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  // Relative luminance (sRGB) decides black or white text.
  const lin = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  // WCAG contrast against white and against black; the better one is always >= 4.58:1.
  const onWhite = 1.05 / (lum + 0.05);
  const onBlack = (lum + 0.05) / 0.05;
  return { background: `rgb(${rgb.join(', ')})`, text: onBlack >= onWhite ? '#000' : '#fff' };
}

/** Stable key of a pod. */
export function podKey(ref) {
  return `${ref.namespace}/${ref.name}`;
}
