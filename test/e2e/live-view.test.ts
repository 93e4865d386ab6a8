/**
 * End to end: `focus-station serve` in a child process, the built UI in headless Chromium. The page loads, the live
 * view shows frames, and jogging Z (button and keyboard) changes the Z readout and the stage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process';

const OUT = join(__dirname, '..', '..', 'test-output', 'e2e');
let serve: ServeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  serve = await startServeProcess();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

const readZ = async () => Number(await page.getByTestId('z-readout').textContent());

describe('browser mode in Chromium', () => {
  it('refuses the page without the token', async () => {
    const res = await page.goto(serve.url.split('?')[0]);
    expect(res?.status()).toBe(401);
  });

  it('loads the UI and connects', async () => {
    await page.goto(serve.url);
    expect(page.url()).not.toContain('token=');
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
    await expect.poll(() => page.title()).toBe('FocusStation');
  });

  it('shows live frames', async () => {
    const img = page.getByTestId('live-image');
    await img.waitFor();
    const first = await img.getAttribute('data-timestamp');
    await expect.poll(() => img.getAttribute('data-timestamp'), { timeout: 15_000 }).not.toBe(first);
    const size = await img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight]);
    expect(size[0]).toBeGreaterThan(100);
  });

  it('a Z jog changes the Z readout (button and keyboard)', async () => {
    await expect.poll(readZ).not.toBeNaN();
    const z0 = await readZ();
    await page.getByTestId('jog-up-coarse').click();
    await expect.poll(readZ).toBeCloseTo(z0 + 5, 6);
    await page.locator('body').press('ArrowDown');
    await expect.poll(readZ).toBeCloseTo(z0 + 4.5, 6);
    await page.locator('body').press('PageDown');
    await expect.poll(readZ).toBeCloseTo(z0 - 0.5, 6);
    // The backend agrees with the readout.
    const res = await fetch(`${serve.url.split('?')[0]}api/stage.position`, {
      headers: { Authorization: `Bearer ${serve.token}` },
    });
    expect((await res.json()).zUm).toBeCloseTo(z0 - 0.5, 6);
    await page.screenshot({ path: join(OUT, 'live-view.png') });
  });
});
