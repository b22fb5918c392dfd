/**
 * Screenshots of the resource board for docs/screenshots/: `npx tsx scheduler-extender/ui/screenshots.ts`.
 * Starts the simulated cluster (src/ui/sim.ts) on loopback and drives Debian's Chromium.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { SIM_TOKENS, startBoardSim } from '../src/ui/sim.js';
import { CHROMIUM, haveChromium, launchChromium } from '../src/ui/chromium.js';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('body[data-loaded]').waitFor();
}

async function main(): Promise<void> {
  if (!haveChromium()) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(OUT, { recursive: true });
  const sim = await startBoardSim();
  const browser = await launchChromium();
  try {
    const desk = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(desk, sim.base, SIM_TOKENS.admin);
    await desk.screenshot({ path: `${OUT}overview-1280.png` });
    const cell = desk.locator('button.cell[data-device="GPU-dgx-h100-01-6"]');
    await cell.focus();
    await desk.keyboard.press('Enter');
    await desk.locator('#device-pods tbody tr').first().waitFor();
    await desk.evaluate("document.getElementById('devices').scrollIntoView()");
    await desk.screenshot({ path: `${OUT}devices-selected-1280.png` });
    await desk.evaluate("document.getElementById('pending').scrollIntoView()");
    await desk.locator('#pending-table button', { hasText: 'Explain' }).first().click();
    await desk.locator('.why').first().waitFor();
    await desk.evaluate("document.getElementById('pending').scrollIntoView()");
    await desk.screenshot({ path: `${OUT}pending-1280.png` });

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await signIn(phone, sim.base, SIM_TOKENS.vision);
    await phone.screenshot({ path: `${OUT}phone-390-tenant.png` });
    await phone.locator('button.cell').first().focus();
    await phone.keyboard.press('Enter');
    await phone.evaluate("document.getElementById('devices').scrollIntoView()");
    await phone.screenshot({ path: `${OUT}phone-390-devices.png` });
    console.log(`wrote screenshots to ${OUT}`);
  } finally {
    await browser.close();
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
