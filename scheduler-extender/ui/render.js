// Section renderers of the board: data in, DOM out. Numbers carry data-field attributes
// so tests (and people with dev tools) can find them.
import { h, table } from './dom.js';
import { chartLegend, queueChart } from './chart.js';
import { deviceUnits, fmtAge, fmtGpu, fmtMiB, fmtPercent, groupLabel, occupancy, podKey, poolSummary, shareUnits, viridis } from './model.js';

const num = (field, text) => h('td', { class: 'num', dataset: { field } }, text);

export function renderPools(nodes, usage, poolObjects) {
  const modes = new Map(poolObjects.map((p) => [p.metadata.name, p.spec]));
  const summary = poolSummary(nodes, usage.queues);
  if (summary.length === 0) return [h('p', { class: 'muted' }, 'No nodes with accelerators are known to the extender yet.')];
  return summary.map((p) => {
    const spec = modes.get(p.pool);
    const frac = p.total.devices > 0 ? p.total.allocated / p.total.devices : 0;
    // The per-model borrowed/lent column only when some queue of the pool names a model.
    const byModel = p.models.some((m) => m.borrowed !== null);
    return h(
      'article',
      { class: 'card', dataset: { pool: p.pool }, 'aria-labelledby': `pool-${p.pool}` },
      h('h3', { id: `pool-${p.pool}` }, p.pool, spec ? h('span', { class: 'badge' }, spec.mode) : null, spec?.isolation ? h('span', { class: 'badge subtle' }, spec.isolation) : null),
      h(
        'dl',
        { class: 'figures' },
        h('div', {}, h('dt', {}, 'Capacity'), h('dd', { dataset: { field: 'capacity' } }, `${p.total.devices}`), h('dd', { class: 'unit' }, 'devices')),
        h('div', {}, h('dt', {}, 'Allocated'), h('dd', { dataset: { field: 'allocated' } }, fmtGpu(p.total.allocated)), h('dd', { class: 'unit' }, 'GPU eq.')),
        h('div', {}, h('dt', {}, 'Borrowed'), h('dd', { dataset: { field: 'borrowed' } }, fmtGpu(p.borrowed)), h('dd', { class: 'unit' }, p.borrowedMiB > 0 ? `GPU eq. · ${fmtMiB(p.borrowedMiB)}` : 'GPU eq.')),
        h('div', {}, h('dt', {}, 'Lent'), h('dd', { dataset: { field: 'lent' } }, fmtGpu(p.lent)), h('dd', { class: 'unit' }, p.lentMiB > 0 ? `GPU eq. · ${fmtMiB(p.lentMiB)}` : 'GPU eq.')),
      ),
      h('div', { class: 'meter', role: 'img', 'aria-label': `${fmtPercent(frac)} of ${p.pool} allocated` }, h('span', { style: { width: `${(frac * 100).toFixed(1)}%` } })),
      table(
        `${p.pool} by device model`,
        ['Model', { label: 'Devices', num: true }, { label: 'Allocated', num: true }, byModel ? { label: 'Borrowed / lent', num: true } : null, { label: 'Memory GiB used / total', num: true }].filter((x) => x !== null),
        p.models.map((m) =>
          h(
            'tr',
            { dataset: { model: m.model } },
            h('td', {}, m.model, m.unhealthy > 0 ? h('span', { class: 'health-bad' }, ` ✕ ${m.unhealthy} unhealthy`) : null),
            num('devices', String(m.devices)),
            num('allocated', fmtGpu(m.allocated)),
            byModel ? h('td', { class: 'num', title: m.borrowed === null ? 'no queue of this pool names this model; see the pool totals' : undefined }, m.borrowed === null ? '—' : `${fmtGpu(m.borrowed)} / ${fmtGpu(m.lent)}`) : null,
            num('memory', `${Math.round(m.usedMemoryMiB / 1024)} / ${Math.round(m.memoryMiB / 1024)}`),
          ),
        ),
        { class: 'compact' },
      ),
      h('p', { class: 'muted small' }, `${p.nodes} node${p.nodes === 1 ? '' : 's'}; memory ${fmtMiB(p.total.usedMemoryMiB)} of ${fmtMiB(p.total.memoryMiB)} in use`),
    );
  });
}

export function renderQueues(usage, whoami) {
  const out = [];
  if (usage.problem) out.push(h('p', { class: 'error' }, `Quota is not being enforced: ${usage.problem}`));
  if (usage.queues.length === 0) {
    out.push(h('p', { class: 'muted' }, whoami.clusterReader ? 'No queues are defined.' : 'You are not a member of any tenant with queues.'));
    return out;
  }
  const rows = [...usage.queues]
    .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.queue.localeCompare(b.queue))
    .map((q) => {
      const over = (q.used.gpu ?? 0) > (q.guarantee.gpu ?? 0);
      return h(
        'tr',
        { dataset: { queue: q.queue } },
        h('td', {}, q.tenant),
        h('th', { scope: 'row' }, q.queue),
        h('td', {}, q.pool, h('span', { class: 'muted' }, ` · ${q.poolMode}`)),
        num('guarantee', fmtGpu(q.guarantee.gpu)),
        num('limit', fmtGpu(q.limit.gpu)),
        h('td', { class: 'num', dataset: { field: 'used' } }, h('span', {}, fmtGpu(q.used.gpu)), over ? h('span', { class: 'flag', title: 'above guarantee (borrowing)' }, ' ▲') : null),
        num('borrowed', fmtGpu(q.borrowed.gpu)),
        num('lent', fmtGpu(q.lent.gpu)),
        num('pods', String(q.pods)),
        num('pending', String(q.pending)),
      );
    });
  out.push(
    table(
      'Queues: guarantee, limit, used, borrowed and lent in GPU equivalents',
      ['Tenant', 'Queue', 'Pool', { label: 'Guarantee', num: true }, { label: 'Limit', num: true }, { label: 'Used', num: true }, { label: 'Borrowed', num: true }, { label: 'Lent', num: true }, { label: 'Pods', num: true }, { label: 'Pending', num: true }],
      rows,
      { id: 'queue-table' },
    ),
  );
  return out;
}

export function renderHistory(history, nowMs) {
  const byQueue = new Map();
  for (const s of history.samples) {
    for (const q of s.queues) {
      const list = byQueue.get(q.queue) ?? { tenant: q.tenant, points: [] };
      list.points.push({ atMs: s.atMs, used: q.used, guarantee: q.guarantee, borrowed: q.borrowed, lent: q.lent });
      byQueue.set(q.queue, list);
    }
  }
  const step = `${Math.round(history.intervalMs / 1000)} s`;
  const source = h(
    'p',
    { class: 'muted small', id: 'history-source' },
    history.source === 'prometheus' ? `From Prometheus (tessera_extender_queue_gpus), one point every ${step}.` : `From the extender's own memory: a sample every ${step}, kept for about an hour, lost on restart.`,
  );
  const problem = history.problem ? h('p', { class: 'error small' }, history.problem) : null;
  if (byQueue.size === 0) return [source, problem, h('p', { class: 'muted' }, 'No usage samples yet.')];
  const names = [...byQueue.keys()].sort();
  return [source, problem, chartLegend(), h('div', { class: 'chart-grid' }, names.map((n) => queueChart(`${byQueue.get(n).tenant} / ${n}`, byQueue.get(n).points, nowMs)))];
}

export function legend() {
  const stops = [0, 0.25, 0.5, 0.75, 1];
  return [
    h('span', { class: 'legend-title' }, 'Occupancy (larger of memory and compute):'),
    h('span', { class: 'scale', 'aria-hidden': 'true' }, stops.map((t) => h('span', { style: { background: viridis(t).background, color: viridis(t).text } }, fmtPercent(t)))),
    h('span', { class: 'legend-title' }, 'Health:'),
    h('span', { class: 'swatch ok' }, '✓ healthy'),
    h('span', { class: 'swatch bad' }, '✕ unhealthy (hatched)'),
  ];
}

function cellLabel(node, d, group) {
  const occ = occupancy(d);
  return `${node.name} ${node.vendor === 'ascend' ? 'NPU' : 'GPU'} ${d.index}, ${d.model}, ${group}, ${d.health}, occupancy ${fmtPercent(occ)}, memory ${fmtMiB(d.usedMemoryMiB)} of ${fmtMiB(d.memoryMiB)}, compute ${fmtPercent(d.usedComputeMilli / 1000)}, ${d.shares.length} pod${d.shares.length === 1 ? '' : 's'}`;
}

export function deviceKey(node, d) {
  return `${node.name}/${d.id}`;
}

export function renderHeatmap(nodes, selected, onSelect) {
  if (nodes.length === 0) return [h('p', { class: 'muted' }, 'No nodes yet.')];
  const byPool = new Map();
  for (const n of nodes) {
    const k = n.pool ?? '(no pool)';
    byPool.set(k, [...(byPool.get(k) ?? []), n]);
  }
  return [...byPool.keys()].sort().map((pool) =>
    h(
      'div',
      { class: 'pool-block' },
      h('h3', {}, `Pool ${pool}`),
      byPool.get(pool).map((n) => {
        const groups = n.interconnect.groups.length > 0 ? n.interconnect.groups : [n.devices.map((d) => d.index)];
        const ungrouped = n.devices.filter((d) => d.group === null);
        const sets = n.interconnect.groups.length > 0 ? groups.map((_, gi) => ({ gi, devs: n.devices.filter((d) => d.group === gi) })) : [];
        if (ungrouped.length > 0) sets.push({ gi: null, devs: ungrouped });
        const dev = n.vendor === 'ascend' ? 'NPU' : 'GPU';
        return h(
          'div',
          { class: 'node', dataset: { node: n.name } },
          h(
            'div',
            { class: 'node-head' },
            h('h4', {}, n.name),
            h('span', { class: 'muted small' }, `${n.vendor ?? 'no inventory'} · ${n.devices[0]?.model ?? ''} · CPU ${(n.cpu.usedMilli / 1000).toFixed(0)}/${(n.cpu.capacityMilli / 1000).toFixed(0)} · RAM ${fmtMiB(n.memory.usedMiB)}/${fmtMiB(n.memory.capacityMiB)}`),
            n.problem ? h('p', { class: 'error small' }, n.problem) : null,
          ),
          h(
            'div',
            { class: 'groups' },
            sets.map(({ gi, devs }) => {
              const label = groupLabel(n.interconnect.kind, n.interconnect.groups, gi);
              return h(
                'div',
                { class: 'group', role: 'group', 'aria-label': `${n.name} ${label}` },
                h('span', { class: 'group-label' }, label),
                h(
                  'div',
                  { class: 'cells' },
                  devs.map((d) => {
                    const occ = occupancy(d);
                    const c = viridis(occ);
                    const key = deviceKey(n, d);
                    const bad = d.health !== 'healthy';
                    return h(
                      'button',
                      {
                        type: 'button',
                        class: `cell${bad ? ' unhealthy' : ''}`,
                        'aria-pressed': key === selected ? 'true' : 'false',
                        'aria-label': cellLabel(n, d, label),
                        title: cellLabel(n, d, label),
                        dataset: { focusKey: key, device: d.id, node: n.name, occupancy: String(occ) },
                        style: { '--cell-bg': c.background, '--cell-fg': c.text },
                        onclick: () => onSelect(key),
                      },
                      h('span', { class: 'cell-index' }, `${dev} ${d.index}`),
                      h('span', { class: 'cell-occ' }, fmtPercent(occ)),
                      h('span', { class: 'cell-health' }, bad ? `✕ ${d.health}` : d.shares.length > 0 ? `${d.shares.length} pod${d.shares.length === 1 ? '' : 's'}` : 'free'),
                      h(
                        'span',
                        { class: 'cell-shares', 'aria-hidden': 'true' },
                        d.shares.map((s) => h('span', { style: { width: `${(shareUnits(s, d.memoryMiB) * 100).toFixed(1)}%` } })),
                      ),
                    );
                  }),
                ),
              );
            }),
          ),
        );
      }),
    ),
  );
}

export function renderDetail(nodes, selected, uidNames) {
  if (selected === null) return [h('h3', { id: 'detail-h' }, 'Device'), h('p', { class: 'muted' }, 'Select a device (click, or Tab to it and press Enter) to list its pods.')];
  for (const n of nodes) {
    for (const d of n.devices) {
      if (deviceKey(n, d) !== selected) continue;
      const group = groupLabel(n.interconnect.kind, n.interconnect.groups, d.group);
      return [
        h('h3', { id: 'detail-h' }, `${n.name} · ${n.vendor === 'ascend' ? 'NPU' : 'GPU'} ${d.index}`),
        h(
          'dl',
          { class: 'kv' },
          h('dt', {}, 'Model'), h('dd', {}, d.model),
          h('dt', {}, 'ID'), h('dd', {}, h('code', {}, d.id)),
          h('dt', {}, 'Health'), h('dd', { class: d.health === 'healthy' ? '' : 'health-bad' }, d.health === 'healthy' ? '✓ healthy' : `✕ ${d.health}`),
          h('dt', {}, 'Interconnect'), h('dd', {}, group),
          h('dt', {}, 'Memory'), h('dd', { dataset: { field: 'memory' } }, `${fmtMiB(d.usedMemoryMiB)} of ${fmtMiB(d.memoryMiB)}`),
          h('dt', {}, 'Compute'), h('dd', { dataset: { field: 'compute' } }, fmtPercent(d.usedComputeMilli / 1000)),
          h('dt', {}, 'Allocated'), h('dd', {}, `${fmtGpu(deviceUnits(d))} GPU eq.${d.exclusive ? ' (exclusive)' : ''}`),
        ),
        d.shares.length === 0
          ? h('p', { class: 'muted', id: 'device-pods' }, 'No pods on this device.')
          : table(
              `Pods on ${n.name} ${d.id}`,
              ['Pod · container', { label: 'Memory', num: true }, { label: 'Compute', num: true }, 'State'],
              d.shares.map((s) => {
                const hidden = s.pod.name === '(hidden)';
                return h(
                  'tr',
                  { dataset: { pod: hidden ? '' : podKey(s.pod) } },
                  h('td', {}, hidden ? h('span', { class: 'muted' }, 'another tenant\u2019s pod') : [podKey(s.pod), h('span', { class: 'muted' }, ` · ${s.container}`)]),
                  num('memory', fmtMiB(s.memoryMiB)),
                  num('compute', s.exclusive ? 'whole' : fmtPercent(s.computeMilli / 1000)),
                  h('td', {}, s.state),
                );
              }),
              { id: 'device-pods' },
            ),
      ];
    }
  }
  void uidNames;
  return [h('h3', { id: 'detail-h' }, 'Device'), h('p', { class: 'muted' }, 'The selected device is gone from the cluster.')];
}

function whyBlock(why) {
  if (why === undefined) return h('p', { class: 'muted' }, 'Loading the explanation…');
  if (why instanceof Error) return h('p', { class: 'error' }, why.message);
  const reasons = Object.entries(why.fit.byReason).map(([r, n]) => `${n} × ${r}`).join(', ');
  return h(
    'div',
    { class: 'why' },
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'Request'), h('dd', {}, why.request ?? '—'),
      h('dt', {}, 'Quota'), h('dd', { class: why.quota.ok ? '' : 'health-bad' }, `${why.quota.ok ? '✓' : '✕'} ${why.quota.message}`),
      h('dt', {}, 'Fit'), h('dd', {}, `${why.fit.feasible} of ${why.fit.nodes} nodes fit${reasons ? `; the others: ${reasons}` : ''}${why.fit.best ? `; best ${why.fit.best.node} (${why.fit.best.devices.join(', ')})` : ''}`),
      why.topology.length > 0 ? [h('dt', {}, 'Topology'), h('dd', {}, why.topology.join('; '))] : null,
      why.problems.length > 0 ? [h('dt', {}, 'Problems'), h('dd', {}, why.problems.join('; '))] : null,
    ),
  );
}

export function renderPending(items, nowMs, open, whys, onToggle) {
  if (items.length === 0) return [h('p', { class: 'muted' }, 'No pod is waiting for accelerators.')];
  const rows = [];
  for (const p of items) {
    const key = podKey(p.pod);
    const isOpen = open.has(key);
    rows.push(
      h(
        'tr',
        { dataset: { pod: key } },
        h('th', { scope: 'row' }, key),
        h('td', {}, p.queue ?? h('span', { class: 'muted' }, '—')),
        h('td', {}, h('span', { class: `reason r-${p.reason}`, dataset: { field: 'reason' } }, p.reason)),
        h(
          'td',
          { class: 'summary' },
          h('span', { dataset: { field: 'summary' } }, p.summary),
          Object.keys(p.nodes).length > 0
            ? h('details', {}, h('summary', {}, `Per node (${Object.keys(p.nodes).length})`), h('ul', {}, Object.entries(p.nodes).map(([n, r]) => h('li', {}, h('strong', {}, n), `: ${r}`))))
            : null,
        ),
        h('td', { class: 'nowrap' }, fmtAge(p.sinceMs, nowMs)),
        h('td', {}, h('button', { type: 'button', 'aria-expanded': isOpen ? 'true' : 'false', dataset: { focusKey: `why:${key}` }, onclick: () => onToggle(p.pod) }, isOpen ? 'Hide' : 'Explain')),
      ),
    );
    if (isOpen) rows.push(h('tr', { class: 'why-row' }, h('td', { colspan: 6 }, whyBlock(whys.get(key)))));
  }
  return [table('Pending pods and why', ['Pod', 'Queue', 'Reason', 'Why pending', 'Since', ''], rows, { id: 'pending-table' })];
}

// The admin API redacts other tenants' pods in an entry to a count (hiddenVictims / hiddenDropped).
function outside(n) {
  return n === 1 ? 'a pod outside your tenants' : `${n} pods outside your tenants`;
}

function victimsText(named, hidden) {
  const all = hidden > 0 ? [...named, outside(hidden)] : named;
  return all.length === 0 ? '—' : all.join(', ');
}

export function renderPreemptions(items, nowMs, uidNames) {
  if (items.length === 0) return [h('p', { class: 'muted' }, 'No preemption or reclaim recorded.')];
  const name = (uid) => uidNames.get(uid) ?? uid;
  return [
    table(
      'Preemptions and reclaims, newest first',
      ['When', 'Kind', 'Node', 'Preemptor', 'Victims', 'Spared (and why)'],
      items.map((p) =>
        h(
          'tr',
          { dataset: { node: p.node } },
          h('td', { class: 'nowrap' }, fmtAge(p.atMs, nowMs)),
          h('td', {}, h('span', { class: `reason k-${p.kind}` }, p.kind)),
          h('td', {}, p.node),
          h('td', {}, p.preemptor.name === '(hidden)' ? h('span', { class: 'muted' }, 'another tenant\u2019s pod') : podKey(p.preemptor)),
          h('td', {}, victimsText(p.victims.map(name), p.hiddenVictims ?? 0)),
          h('td', {}, p.dropped.length === 0 && !p.hiddenDropped ? '—' : h('ul', { class: 'plain' }, [
            ...p.dropped.map((d) => h('li', {}, `${name(d.uid)}: ${d.why}`)),
            ...(p.hiddenDropped ? [h('li', { class: 'muted' }, outside(p.hiddenDropped))] : []),
          ])),
        ),
      ),
      { id: 'preemption-table' },
    ),
  ];
}
