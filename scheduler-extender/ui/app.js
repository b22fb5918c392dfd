// The resource board: sign-in, polling (paused while the tab is hidden), and rendering.
import { ApiError, getWhy, loadBoard } from './api.js';
import { replaceKeepingFocus } from './dom.js';
import { podKey } from './model.js';
import { legend, renderDetail, renderHeatmap, renderHistory, renderPending, renderPools, renderPreemptions, renderQueues } from './render.js';

const TOKEN_KEY = 'tessera.board.token';
/** Polling period: 5 s, or ?poll=<seconds> (1–300) in the page address. */
const POLL_MS = (() => {
  const raw = Number(new URLSearchParams(location.search).get('poll'));
  return Number.isFinite(raw) && raw >= 1 && raw <= 300 ? Math.round(raw * 1000) : 5000;
})();

const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  data: null,
  selected: null,
  open: new Set(),
  whys: new Map(),
  rendered: new Map(),
  timer: null,
  loading: false,
  lastOkMs: null,
};

function show(id, visible) {
  $(id).hidden = !visible;
}

function setError(message) {
  $('error').textContent = message ?? '';
  show('error', message !== null && message !== undefined);
}

function signedOut(message) {
  state.token = null;
  state.data = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  show('board', false);
  show('nav', false);
  show('session', false);
  show('login', true);
  setError(null);
  $('login-error').textContent = message ?? '';
  show('login-error', Boolean(message));
  $('token').value = '';
  $('token').focus();
}

/** Re-render a section only when its data changed, so focus and scroll stay put. */
function section(id, data, build) {
  const sig = JSON.stringify(data);
  if (state.rendered.get(id) === sig) return;
  state.rendered.set(id, sig);
  replaceKeepingFocus($(id), ...build());
}

function uidNames(d) {
  const m = new Map();
  for (const n of d.nodes) for (const dev of n.devices) for (const s of dev.shares) if (s.pod.uid !== '') m.set(s.pod.uid, podKey(s.pod));
  for (const p of d.pending) if (p.pod.uid !== '') m.set(p.pod.uid, podKey(p.pod));
  for (const p of d.preemptions) if (p.preemptor.uid !== '') m.set(p.preemptor.uid, podKey(p.preemptor));
  // Victims outside the caller's tenants never reach the page: the API counts them (hiddenVictims).
  return m;
}

function render() {
  const d = state.data;
  if (d === null) return;
  const now = Date.now();
  const who = d.whoami;
  $('whoami').textContent = `${who.username} · ${who.clusterReader ? 'all tenants' : who.tenants.length === 0 ? 'no tenant' : `tenant ${who.tenants.join(', ')}`}`;
  const names = uidNames(d);
  section('pools-body', [d.nodes, d.usage.queues, d.pools], () => renderPools(d.nodes, d.usage, d.pools));
  section('queues-body', [d.usage, who.clusterReader], () => renderQueues(d.usage, who));
  section('history-body', [d.history, Math.floor(now / 60000)], () => renderHistory(d.history, now));
  section('legend', [], () => legend());
  section('heatmap', [d.nodes, state.selected], () => renderHeatmap(d.nodes, state.selected, selectDevice));
  section('device-detail', [d.nodes, state.selected], () => renderDetail(d.nodes, state.selected, names));
  section('pending-body', [d.pending, [...state.open], [...state.whys.entries()].map(([k, v]) => [k, v instanceof Error ? v.message : v]), Math.floor(now / 10000)], () =>
    renderPending(d.pending, now, state.open, state.whys, toggleWhy),
  );
  section('preemptions-body', [d.preemptions, [...names], Math.floor(now / 10000)], () => renderPreemptions(d.preemptions, now, names));
}

function selectDevice(key) {
  state.selected = state.selected === key ? null : key;
  render();
}

async function fetchWhy(pod) {
  const key = podKey(pod);
  try {
    state.whys.set(key, await getWhy(state.token, pod.namespace, pod.name));
  } catch (err) {
    state.whys.set(key, err instanceof Error ? err : new Error(String(err)));
  }
  render();
}

function toggleWhy(pod) {
  const key = podKey(pod);
  if (state.open.has(key)) {
    state.open.delete(key);
    state.whys.delete(key);
    render();
    return;
  }
  state.open.add(key);
  render();
  void fetchWhy(pod);
}

async function refresh() {
  if (state.token === null || state.loading) return;
  state.loading = true;
  try {
    state.data = await loadBoard(state.token);
    state.lastOkMs = Date.now();
    setError(null);
    show('login', false);
    show('board', true);
    show('nav', true);
    show('session', true);
    document.body.dataset.loaded = String(state.lastOkMs);
    for (const key of state.open) {
      const p = state.data.pending.find((x) => podKey(x.pod) === key);
      if (p === undefined) state.open.delete(key);
      else void fetchWhy(p.pod);
    }
    render();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      signedOut(`Sign-in failed: ${err.message}`);
      return;
    }
    setError(`Could not refresh the board: ${err instanceof Error ? err.message : String(err)}${state.lastOkMs ? ' (showing the last good data)' : ''}`);
  } finally {
    state.loading = false;
    updateStatus();
  }
}

function updateStatus() {
  const paused = document.visibilityState === 'hidden';
  const at = state.lastOkMs === null ? 'not loaded yet' : `updated ${new Date(state.lastOkMs).toLocaleTimeString()}`;
  $('status').textContent = `${at} · ${paused ? 'paused while hidden' : `live, every ${POLL_MS / 1000} s`}`;
}

function startPolling() {
  stopPolling();
  state.timer = setInterval(() => {
    if (document.visibilityState !== 'hidden') void refresh();
  }, POLL_MS);
}

function stopPolling() {
  if (state.timer !== null) clearInterval(state.timer);
  state.timer = null;
}

document.addEventListener('visibilitychange', () => {
  updateStatus();
  if (document.visibilityState === 'visible' && state.token !== null) void refresh();
});

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $('token').value.trim();
  if (token === '') return;
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  state.rendered.clear();
  state.selected = null;
  state.open.clear();
  state.whys.clear();
  void refresh().then(() => {
    if (state.token !== null) {
      startPolling();
      $('main').focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  });
});
// Arrow keys move between heat-map cells (Left/Right: previous/next device; Up/Down: the
// same position in the previous/next node; Home/End: first/last device of the node).
$('heatmap').addEventListener('keydown', (e) => {
  const cell = e.target instanceof HTMLElement ? e.target.closest('button.cell') : null;
  if (cell === null) return;
  const all = [...$('heatmap').querySelectorAll('button.cell')];
  const nodeCells = (node) => all.filter((c) => c.dataset.node === node);
  const mine = nodeCells(cell.dataset.node);
  const nodes = [...new Set(all.map((c) => c.dataset.node))];
  let target;
  if (e.key === 'ArrowRight') target = all[all.indexOf(cell) + 1];
  else if (e.key === 'ArrowLeft') target = all[all.indexOf(cell) - 1];
  else if (e.key === 'Home') target = mine[0];
  else if (e.key === 'End') target = mine[mine.length - 1];
  else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const other = nodeCells(nodes[nodes.indexOf(cell.dataset.node) + (e.key === 'ArrowDown' ? 1 : -1)]);
    target = other[Math.min(mine.indexOf(cell), other.length - 1)];
  } else return;
  e.preventDefault();
  target?.focus();
});
$('refresh').addEventListener('click', () => void refresh());
$('signout').addEventListener('click', () => signedOut(null));

if (state.token === null) signedOut(null);
else {
  void refresh();
  startPolling();
}
