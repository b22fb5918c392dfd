/** The board plugin over loopback: static files, their headers, and the two API reads it adds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_TOKENS, startBoardSim, type BoardSim } from './sim.js';

let sim: BoardSim;
beforeAll(async () => {
  sim = await startBoardSim();
});
afterAll(async () => {
  await sim.close();
});

async function get(path: string, token?: string): Promise<{ status: number; type: string | null; csp: string | null; text: string }> {
  const res = await fetch(`${sim.base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'manual' });
  return { status: res.status, type: res.headers.get('content-type'), csp: res.headers.get('content-security-policy'), text: await res.text() };
}

describe('static files at /ui/', () => {
  it('serves the page and its modules with a self-only CSP', async () => {
    const page = await get('/ui/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.csp).toMatch(/default-src 'self'/);
    expect(page.text).toContain('<script type="module" src="app.js">');
    // Self-contained: no absolute URLs to other origins in any served file.
    for (const f of ['index.html', 'app.js', 'api.js', 'render.js', 'model.js', 'dom.js', 'chart.js', 'board.css']) {
      const r = await get(`/ui/${f}`);
      expect(r.status, f).toBe(200);
      expect(r.text, f).not.toMatch(/(src|href)=["']https?:|url\(["']?https?:|@import|from ['"]https?:/);
    }
    expect((await get('/ui/app.js')).type).toMatch(/^text\/javascript/);
    expect((await get('/ui/board.css')).type).toMatch(/^text\/css/);
    expect((await get('/ui')).status).toBe(302);
  });

  it('answers 404 for anything outside the flat list of page files', async () => {
    for (const path of ['/ui/screenshots.ts', '/ui/..%2Fpackage.json', '/ui/%2e%2e%2fsrc%2fserver.ts', '/ui/nope.js', '/ui/.env']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(JSON.parse(r.text).code, path).toBe('EXT_ERR_NOT_FOUND');
    }
  });
});

describe('/api/v1/usage/history and /api/v1/whoami', () => {
  it('need a token, as the admin API does', async () => {
    expect((await get('/api/v1/usage/history')).status).toBe(401);
    expect((await get('/api/v1/whoami', 'bad')).status).toBe(401);
  });

  it('give a tenant member only their tenant', async () => {
    const who = JSON.parse((await get('/api/v1/whoami', SIM_TOKENS.nlp)).text);
    expect(who).toEqual({ username: 'bob', groups: ['nlp-team'], clusterReader: false, tenants: ['nlp'] });
    const mine = JSON.parse((await get('/api/v1/usage/history', SIM_TOKENS.nlp)).text);
    expect(mine.samples.length).toBeGreaterThan(10);
    const tenants = new Set(mine.samples.flatMap((s: any) => s.queues.map((q: any) => q.tenant)));
    expect([...tenants]).toEqual(['nlp']);
    const all = JSON.parse((await get('/api/v1/usage/history', SIM_TOKENS.admin)).text);
    expect(new Set(all.samples.flatMap((s: any) => s.queues.map((q: any) => q.tenant)))).toEqual(new Set(['nlp', 'vision']));
  });

  it('matches the quota figures of /api/v1/usage in its newest sample', async () => {
    const usage = JSON.parse((await get('/api/v1/usage', SIM_TOKENS.admin)).text).queues;
    const last = JSON.parse((await get('/api/v1/usage/history', SIM_TOKENS.admin)).text).samples.at(-1);
    for (const u of usage) {
      const s = last.queues.find((x: any) => x.queue === u.queue);
      expect({ used: s.used, guarantee: s.guarantee, borrowed: s.borrowed, lent: s.lent, limit: s.limit }).toEqual({ used: u.used.gpu, guarantee: u.guarantee.gpu, borrowed: u.borrowed.gpu, lent: u.lent.gpu, limit: u.limit.gpu });
    }
  });

  it('filters by sinceMs and rejects one that is not a number', async () => {
    const all = JSON.parse((await get('/api/v1/usage/history', SIM_TOKENS.admin)).text).samples;
    const cut = all[Math.floor(all.length / 2)].atMs;
    const late = JSON.parse((await get(`/api/v1/usage/history?sinceMs=${cut}`, SIM_TOKENS.admin)).text).samples;
    expect(late.length).toBeLessThan(all.length);
    expect(late.every((s: any) => s.atMs >= cut)).toBe(true);
    const bad = await get('/api/v1/usage/history?sinceMs=yesterday', SIM_TOKENS.admin);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toMatch(/sinceMs: expected milliseconds since the epoch, got "yesterday"/);
  });
});
