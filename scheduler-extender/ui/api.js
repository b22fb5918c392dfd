// The admin API as the board reads it: GET with the bearer token, JSON in, clear errors out.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJson(path, token) {
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the admin API (${err instanceof Error ? err.message : String(err)})`);
  }
  const text = await res.text();
  let body = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok) {
    const message = body && typeof body.message === 'string' ? body.message : `${path}: HTTP ${res.status} ${text.slice(0, 200)}`;
    throw new ApiError(res.status, body && typeof body.code === 'string' ? body.code : `HTTP_${res.status}`, message);
  }
  if (body === null) throw new ApiError(res.status, 'BAD_JSON', `${path}: the answer is not JSON`);
  return body;
}

/** Everything one refresh of the board needs, fetched in parallel. */
export async function loadBoard(token) {
  const [whoami, pools, usage, nodes, pending, preemptions, history] = await Promise.all([
    getJson('/api/v1/whoami', token),
    getJson('/api/v1/pools', token),
    getJson('/api/v1/usage', token),
    getJson('/api/v1/nodes', token),
    getJson('/api/v1/pending', token),
    getJson('/api/v1/preemptions', token),
    getJson('/api/v1/usage/history', token),
  ]);
  return { whoami, pools: pools.items, usage, nodes: nodes.items, pending: pending.items, preemptions: preemptions.items, history };
}

export function getWhy(token, namespace, name) {
  return getJson(`/api/v1/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/why`, token);
}
