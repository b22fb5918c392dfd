/**
 * The resource board in a real browser: Debian's Chromium driven by playwright-core against
 * the extender's server on 127.0.0.1:0, fed a simulated cluster through MemoryCluster
 * (src/ui/sim.ts). The page's numbers are compared with what the admin API answers.
 * Skipped only when /usr/bin/chromium is missing (CI installs it: .ci/run).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, haveChromium, launchChromium } from './src/ui/chromium.js';
import { SIM_TOKENS, startBoardSim, type BoardSim } from './src/ui/sim.js';

const present = haveChromium();
if (!present) console.warn(`ui.browser.test.ts: SKIPPED — ${CHROMIUM} is missing (apt-get install -y chromium)`);

// The page's formats, restated: GPU equivalents with at most 2 decimals, ∞ for unlimited.
const gpu = (n: number | null): string => (n === null ? '∞' : String(Number(n.toFixed(2))));

let sim: BoardSim;
let browser: Browser;
/** Script errors and console errors (CSP violations land here too) of every page. */
let pageErrors: string[] = [];

async function newPage(opts: Parameters<Browser['newPage']>[0] = {}): Promise<Page> {
  const page = await browser.newPage(opts);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A 401 answer to the bad-token sign-in is expected and logged by Chromium as a failed load.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  return page;
}

async function api(path: string, token: string): Promise<any> {
  const res = await fetch(`${sim.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, `${path} as ${token}`).toBe(200);
  return res.json();
}

async function signIn(token: string, width = 1280, query = ''): Promise<Page> {
  const page = await newPage({ viewport: { width, height: 900 } });
  await page.goto(`${sim.base}/ui/${query}`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).press('Enter');
  await page.locator('body[data-loaded]').waitFor({ timeout: 10_000 });
  return page;
}

describe.skipIf(!present)(`resource board in Chromium${present ? '' : ` (skipped: ${CHROMIUM} is missing)`}`, () => {
  beforeAll(async () => {
    sim = await startBoardSim();
    browser = await launchChromium();
  });
  afterEach(() => {
    const seen = pageErrors;
    pageErrors = [];
    expect(seen, 'errors in the page').toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.close();
  });

  it('shows every queue, pool and device with the numbers the API gives', async () => {
    const page = await signIn(SIM_TOKENS.admin);
    const usage = (await api('/api/v1/usage', SIM_TOKENS.admin)).queues as any[];
    const nodes = (await api('/api/v1/nodes', SIM_TOKENS.admin)).items as any[];
    expect(usage.length).toBe(4);
    await expect.poll(() => page.locator('#queue-table tbody tr').count()).toBe(usage.length);
    for (const q of usage) {
      const row = page.locator(`#queue-table tr[data-queue="${q.queue}"]`);
      const cell = (f: string) => row.locator(`[data-field="${f}"]`).innerText();
      expect((await cell('guarantee')).trim()).toBe(gpu(q.guarantee.gpu));
      expect((await cell('limit')).trim()).toBe(gpu(q.limit.gpu));
      expect((await cell('used')).replace('▲', '').trim()).toBe(gpu(q.used.gpu));
      expect((await cell('borrowed')).trim()).toBe(gpu(q.borrowed.gpu));
      expect((await cell('lent')).trim()).toBe(gpu(q.lent.gpu));
      expect((await cell('pods')).trim()).toBe(String(q.pods));
      expect((await cell('pending')).trim()).toBe(String(q.pending));
    }
    // Pools: capacity = devices of the pool's nodes; every pod here is in a queue, so the
    // allocated GPU equivalents equal the queues' used sum; borrowed is the queues' sum.
    for (const pool of ['training', 'test', 'inference']) {
      const card = page.locator(`article[data-pool="${pool}"]`);
      const devices = nodes.filter((n) => n.pool === pool).reduce((s, n) => s + n.devices.length, 0);
      const inPool = usage.filter((q) => q.pool === pool);
      expect(devices).toBeGreaterThan(0);
      expect(await card.locator('[data-field="capacity"]').innerText()).toBe(String(devices));
      expect(await card.locator('dd[data-field="allocated"]').innerText()).toBe(gpu(inPool.reduce((s, q) => s + q.used.gpu, 0)));
      expect(await card.locator('dd[data-field="borrowed"]').innerText()).toBe(gpu(inPool.reduce((s, q) => s + q.borrowed.gpu, 0)));
    }
    // Heat map: one cell per device; each cell's label carries its memory and health.
    const all = nodes.flatMap((n) => n.devices.map((d: any) => ({ node: n.name, d })));
    expect(await page.locator('button.cell').count()).toBe(all.length);
    for (const { node, d } of all) {
      const label = await page.locator(`button.cell[data-node="${node}"][data-device="${d.id}"]`).getAttribute('aria-label');
      expect(label).toContain(`memory ${(d.usedMemoryMiB / 1024).toFixed(1)} GiB of ${(d.memoryMiB / 1024).toFixed(1)} GiB`);
      expect(label).toContain(`, ${d.health},`);
    }
    // Health is shown in text and pattern, not colour only.
    const bad = all.filter(({ d }) => d.health !== 'healthy');
    expect(bad.length).toBe(1);
    await expect.poll(() => page.locator('button.cell.unhealthy').innerText()).toContain('unhealthy');
    // Interconnect groups are named as the API groups them.
    expect(await page.locator('[data-node="dgx-a100-02"] .group-label').allInnerTexts()).toEqual(['NVLink island 0', 'NVLink island 1']);
    expect(await page.locator('[data-node="ascend-910-01"] .group-label').allInnerTexts()).toEqual(['HCCS ring 0', 'HCCS ring 1']);
    await page.close();
  });

  it('shows why a pod is pending, and explains it on request', async () => {
    const page = await signIn(SIM_TOKENS.admin);
    const pending = (await api('/api/v1/pending', SIM_TOKENS.admin)).items as any[];
    const quota = pending.find((p) => p.pod.name === 'llm-pretrain');
    expect(quota.reason).toBe('quota');
    const row = page.locator('#pending-table tr[data-pod="nlp/llm-pretrain"]');
    expect(await row.locator('[data-field="reason"]').innerText()).toBe('quota');
    expect(await row.locator('[data-field="summary"]').innerText()).toBe(quota.summary);
    expect(quota.summary).toMatch(/would pass its limit/);
    await row.getByRole('button', { name: 'Explain' }).click();
    const why = await api('/api/v1/pods/nlp/llm-pretrain/why', SIM_TOKENS.admin);
    expect(why.quota.ok).toBe(false);
    await expect.poll(() => page.locator('.why').innerText()).toContain(why.quota.message);
    expect(await page.locator('#pending-table tr[data-pod]').count()).toBe(pending.length);
    // The recorded reclaim names the victim pod and the one spared.
    const pre = (await api('/api/v1/preemptions', SIM_TOKENS.admin)).items as any[];
    expect(pre.length).toBe(1);
    const text = await page.locator('#preemption-table').innerText();
    expect(text).toContain(pre[0].kind);
    expect(text).toContain('vision/detector-train');
    expect(text).toContain('nlp/notebook-1: its devices are not needed');
    await page.close();
  });

  it('selects a device with the keyboard and lists its pods', async () => {
    const page = await signIn(SIM_TOKENS.admin);
    const node = await api('/api/v1/nodes/dgx-h100-01', SIM_TOKENS.admin);
    const dev = node.devices.find((d: any) => d.index === 6);
    expect(dev.shares.length).toBe(3);
    await page.locator('button.cell[data-device="GPU-dgx-h100-01-5"]').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.dataset.device')).toBe('GPU-dgx-h100-01-6');
    await page.keyboard.press('Enter');
    const rows = page.locator('#device-pods tbody tr');
    await expect.poll(() => rows.count()).toBe(dev.shares.length);
    const shown = (await rows.evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: Record<string, string> }).dataset['pod']))).sort();
    expect(shown).toEqual(dev.shares.map((s: any) => `${s.pod.namespace}/${s.pod.name}`).sort());
    expect(await page.locator('button.cell[data-device="GPU-dgx-h100-01-6"]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#device-detail dd[data-field="memory"]').innerText()).toBe(`${(dev.usedMemoryMiB / 1024).toFixed(1)} GiB of ${(dev.memoryMiB / 1024).toFixed(1)} GiB`);
    // Arrow keys move between cells: Left to GPU 5; Up to the same position on the node above
    // (dgx-a100-02: nodes are listed by pool, then name); Home to that node's first device.
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate('document.activeElement.dataset.device')).toBe('GPU-dgx-h100-01-5');
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate('document.activeElement.dataset.device')).toBe('GPU-dgx-a100-02-5');
    await page.keyboard.press('Home');
    expect(await page.evaluate('document.activeElement.dataset.device')).toBe('GPU-dgx-a100-02-0');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate('document.activeElement.dataset.device')).toBe('GPU-dgx-a100-02-1');
    // Focus stays on the selected cell across a live refresh, and Space toggles it off.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('button.cell[data-device="GPU-dgx-h100-01-6"]').focus();
    await page.keyboard.press('Space');
    await expect.poll(() => page.locator('#device-detail').innerText()).toContain('Select a device');
    await page.close();
  });

  it('shows a tenant member only their tenant: no other queues, pod names or history', async () => {
    const page = await signIn(SIM_TOKENS.nlp, 390);
    const usage = (await api('/api/v1/usage', SIM_TOKENS.nlp)).queues as any[];
    expect(usage.map((q) => q.tenant)).toEqual(['nlp', 'nlp']);
    expect((await page.locator('#whoami').innerText()).trim()).toBe('bob · tenant nlp');
    expect((await page.locator('#queue-table tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: Record<string, string> }).dataset['queue']))).sort()).toEqual(usage.map((q) => q.queue).sort());
    const text = await page.locator('body').innerText();
    for (const secret of ['vision-training', 'vision-inference', 'resnet-train', 'vit-finetune', 'detector-train', 'serve-ocr', 'clip-pretrain']) {
      expect(text, `the nlp member's page shows "${secret}"`).not.toContain(secret);
    }
    expect(text).toContain('a pod outside your tenants');
    // Selecting a device that holds another tenant's pod shows that a pod is there, not whose.
    await page.locator('button.cell[data-device="GPU-dgx-a100-01-0"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#device-pods').innerText()).toContain('another tenant\u2019s pod');
    expect(await page.locator('#device-pods').innerText()).not.toContain('vision');
    await page.close();
  });

  it('refuses a bad token with the API message and keeps the token out of the page', async () => {
    const page = await newPage();
    await page.goto(`${sim.base}/ui/`);
    await page.getByLabel('Bearer token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#login-error').innerText()).toContain('not accepted by TokenReview');
    expect(await page.evaluate("sessionStorage.getItem('tessera.board.token')")).toBeNull();
    await page.close();
  });

  it('refreshes live, and pauses polling while the tab is hidden', async () => {
    const page = await signIn(SIM_TOKENS.admin, 1280, '?poll=1');
    expect(await page.locator('#status').innerText()).toContain('every 1 s');
    const used = () => page.locator('#queue-table tr[data-queue="nlp-training"] [data-field="used"]').innerText();
    expect((await used()).trim()).toBe('4.9');
    sim.cluster.remove('pods', 'nlp/notebook-3');
    const after = (await api('/api/v1/usage', SIM_TOKENS.admin)).queues.find((q: any) => q.queue === 'nlp-training');
    expect(after.used.gpu).toBeCloseTo(4.6, 5);
    await expect.poll(async () => (await used()).trim(), { timeout: 5_000, interval: 100 }).toBe(gpu(after.used.gpu));
    // Hidden tab: no more API calls until it is visible again.
    let calls = 0;
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/usage')) calls++;
    });
    await page.evaluate("Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' }); document.dispatchEvent(new Event('visibilitychange'))");
    expect(await page.locator('#status').innerText()).toContain('paused');
    await page.waitForTimeout(2_500); // 2.5 polling periods
    expect(calls).toBe(0);
    await page.evaluate("Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' }); document.dispatchEvent(new Event('visibilitychange'))");
    await expect.poll(() => calls, { timeout: 3_000 }).toBeGreaterThan(0);
    await page.close();
  });
});
