/**
 * End to end: `focus-station serve` in a child process (its own data folder), the built UI in headless Chromium.
 * On the Hardware page: connect the 40x virtual profile and see the status change, press the always-visible STOP
 * (it halts the stage and cancels the calibration that was driving it), run one calibration step and see its result,
 * then disconnect and see the live view say "not connected".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync } from 'node:fs';
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
  const dataDir = mkdtempSync(join(OUT, 'hardware-data-'));
  serve = await startServeProcess([], { FOCUS_STATION_DATA_DIR: dataDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(serve.url);
  await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

async function apiGet(method: string) {
  const res = await fetch(`${serve.url.split('?')[0]}api/${method}`, {
    headers: { Authorization: `Bearer ${serve.token}` },
  });
  return res.json();
}

describe('Hardware page in Chromium', () => {
  it('connects the 40x virtual profile and the status follows', async () => {
    await page.getByTestId('nav-hardware').click();
    await expect.poll(() => page.getByTestId('hw-state').textContent()).toBe('connected');
    await expect.poll(() => page.getByTestId('hw-profile').textContent()).toBe('Virtual microscope (20x)');
    await page.getByTestId('hw-profile-select').selectOption('virtual-microscope-40x');
    await page.getByTestId('hw-connect').click();
    // 'connected' alone would still be the 20x link until the server's first state event arrives: wait for the new
    // profile name, then for its state.
    await expect
      .poll(() => page.getByTestId('hw-profile').textContent(), { timeout: 30_000 })
      .toBe('Virtual microscope (40x)');
    await expect.poll(() => page.getByTestId('hw-state').textContent(), { timeout: 30_000 }).toBe('connected');
    await expect.poll(() => page.getByTestId('hw-status-connected').textContent()).toBe('connected');
    await expect.poll(() => page.getByText('40X/0.65 air').count()).toBeGreaterThan(0);
    // The status bar (visible on every page) shows the new link.
    await expect.poll(() => page.getByTestId('hardware-link').textContent()).toContain('Virtual microscope (40x)');
    expect((await apiGet('hardware.connection')).profileId).toBe('virtual-microscope-40x');
    await page.screenshot({ path: join(OUT, 'hardware-connected.png'), fullPage: true });
  });

  it('STOP in the status bar halts the stage and cancels the calibration driving it', async () => {
    await page.getByTestId('cal-depth-of-field-rangeUm').fill('40');
    await page.getByTestId('cal-depth-of-field-stepUm').fill('0.25');
    await page.getByTestId('cal-run-depth-of-field').click();
    await page.getByTestId('task').first().waitFor();
    await page.getByTestId('global-stop').click();
    await page.getByText('Stopped: every axis halted').waitFor();
    await expect
      .poll(
        async () =>
          ((await apiGet('tasks.list')) as { kind: string; state: string }[]).find(
            (t) => t.kind === 'calibration.depth-of-field',
          )?.state,
        {
          timeout: 20_000,
        },
      )
      .toBe('cancelled');
    expect((await apiGet('stage.position')).busy).toBe(false);
    // STOP stays on screen on every page.
    for (const p of ['live', 'acquire', 'dataset', 'models', 'hardware']) {
      await page.getByTestId(`nav-${p}`).click();
      expect(await page.getByTestId('global-stop').isVisible()).toBe(true);
    }
  });

  it('runs one calibration step and shows its result with its explanation and curve', async () => {
    // Back to focus (the cancelled sweep left the stage where it was), then a quick depth-of-field stack.
    await page.getByTestId('hw-profile-select').selectOption('virtual-microscope-40x');
    await page.getByTestId('hw-connect').click();
    // The button is disabled until the connect call has returned; the state shown before that is the old link's.
    await expect.poll(() => page.getByTestId('hw-connect').isEnabled(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('hw-state').textContent(), { timeout: 30_000 }).toBe('connected');
    await page.getByTestId('cal-depth-of-field-rangeUm').fill('4');
    await page.getByTestId('cal-depth-of-field-stepUm').fill('0.5');
    await page.getByTestId('cal-run-depth-of-field').click();
    const explanation = page.getByTestId('cal-explanation-depth-of-field');
    await explanation.waitFor({ timeout: 90_000 });
    expect(await explanation.textContent()).toMatch(/Sharpness stays above half its peak over \d+\.\d+ um/);
    expect(await page.getByTestId('cal-result-depth-of-field').locator('canvas').count()).toBe(1);
    const figure = await page.getByTestId('cal-result-depth-of-field').getByTestId('cal-figure').textContent();
    expect(Number(figure!.replace(' um', ''))).toBeGreaterThan(1);
    await page.getByTestId('calibration').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'hardware-calibration.png'), fullPage: true });
  }, 120_000);

  it('after a disconnect the live view says "not connected" instead of erroring', async () => {
    await page.getByTestId('hw-disconnect').click();
    await expect.poll(() => page.getByTestId('hw-state').textContent()).toBe('disconnected');
    await page.getByTestId('nav-live').click();
    await page.getByTestId('live-not-connected').waitFor();
    expect(await page.getByTestId('live-not-connected').textContent()).toMatch(/Not connected/);
    await expect.poll(() => page.getByTestId('hardware-link').getAttribute('data-state')).toBe('disconnected');
    await page.screenshot({ path: join(OUT, 'hardware-live-not-connected.png') });
  });
});
