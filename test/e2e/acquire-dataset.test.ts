/**
 * End to end: `focus-station serve` on a temp data folder (FOCUS_STATION_DATA_DIR), the built UI in headless
 * Chromium. A small acquisition goes through the Acquire wizard (sample, focus / "in focus here", range, summary,
 * Start); the progress bar moves to the end; the Dataset page then lists the stack with a thumbnail, and selecting it
 * shows its focus curve with the fitted peak and the per-plane labels. The Import dialog brings in a real labelled
 * stack from another lab, and the Export dialog writes the training layout, each following its task to the end.
 * Screenshots under test-output/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process';

const OUT = join(__dirname, '..', '..', 'test-output', 'e2e');
const WAFER = join(__dirname, '..', '..', '..', 'shared', 'data', 'real-stacks', 'wafer-reflected');
let dataDir: string;
let serve: ServeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'fs-e2e-acquire-'));
  serve = await startServeProcess([], { FOCUS_STATION_DATA_DIR: dataDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  await page.goto(serve.url);
  await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Acquire wizard and Dataset browser in Chromium', () => {
  it('runs a small acquisition from the Acquire page and shows its progress', async () => {
    await page.getByTestId('nav-acquire').click();
    await page.getByTestId('slide-name').fill('e2e slide');
    await page.getByTestId('next').click();
    await page.getByTestId('in-focus-here').click();
    await expect.poll(() => page.getByTestId('z0').textContent()).toMatch(/z0 = -?\d+\.\d\d um/);
    await page.getByTestId('next').click();
    await expect.poll(() => page.getByTestId('plane-count').textContent()).toMatch(/^41 planes/);
    await page.getByTestId('range-from').fill('-2');
    await page.getByTestId('range-to').fill('2');
    await page.getByTestId('range-step').fill('0.5');
    await expect.poll(() => page.getByTestId('plane-count').textContent()).toMatch(/^9 planes/);
    await page.getByTestId('next').click();
    await expect.poll(() => page.getByTestId('summary-planes').textContent()).toMatch(/= 9 planes/);

    // Record every value the progress bar takes (it may be fast), from its creation on.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      const read = () => {
        const bar = document.querySelector('[role="progressbar"][aria-label="Acquisition progress"]');
        const v = bar ? Number(bar.getAttribute('aria-valuenow')) : NaN;
        if (Number.isFinite(v) && seen[seen.length - 1] !== v) seen.push(v);
      };
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByTestId('acq-start').click();
    const progress = page.getByTestId('acquisition-progress');
    await progress.waitFor();
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    await expect.poll(() => page.getByTestId('acquisition-count').textContent()).toBe('9 / 9 planes');
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen[seen.length - 1]).toBe(9);
    expect(seen.length).toBeGreaterThanOrEqual(3); // it moved through intermediate counts
    expect([...seen].sort((a, b) => a - b)).toEqual(seen); // and only forward
    await page.screenshot({ path: join(OUT, 'acquire.png') });
  });

  it('lists the stack in the Dataset page and shows its focus curve with the fitted peak', async () => {
    await page.getByTestId('nav-dataset').click();
    await expect.poll(() => page.getByTestId('count-stacks').textContent()).toBe('1');
    const row = page.getByTestId('stack-row').first();
    await row.waitFor();
    expect(await row.locator('img').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    await row.click();
    const detail = page.getByTestId('stack-detail');
    await detail.waitFor();
    const curve = detail.getByTestId('focus-curve');
    await expect.poll(() => curve.getAttribute('data-points')).toBe('9');
    const zFocus = Number(await curve.getAttribute('data-z-focus'));
    expect(Number.isFinite(zFocus)).toBe(true);
    expect(await detail.getByTestId('stack-z-focus').textContent()).toContain(`z_focus ${zFocus.toFixed(3)} um`);
    expect(await curve.locator('canvas').count()).toBe(1);
    await expect.poll(() => detail.getByTestId('image-labels').locator('tbody tr').count()).toBe(9);
    await page.screenshot({ path: join(OUT, 'dataset-browser.png'), fullPage: true });
  });

  it('an operator decision from the keyboard-reachable buttons updates the stack', async () => {
    const detail = page.getByTestId('stack-detail');
    await detail.getByTestId('decide-exclude').click();
    await expect.poll(() => detail.getByTestId('stack-z-focus').textContent()).toMatch(/operator\s+excluded/);
    await detail.getByTestId('decide-reset').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => detail.getByTestId('stack-z-focus').textContent()).toMatch(/operator\s+auto/);
  });

  it('imports a real labelled stack from the Import dialog and lists it', async () => {
    await page.getByTestId('open-import').click();
    const dialog = page.getByTestId('import-dialog');
    await dialog.getByTestId('import-path').fill(WAFER);
    await dialog.getByLabel('Slide name (optional)').fill('wafer');
    await dialog.getByTestId('import-start').click();
    const progress = dialog.getByTestId('import-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    // counted in stacks: the 3 fields of ground_truth.csv
    expect(await progress.textContent()).toContain('3 / 3');
    expect(await dialog.getByRole('progressbar', { name: 'Import progress' }).getAttribute('aria-valuenow')).toBe('3');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect.poll(() => page.getByTestId('count-stacks').textContent()).toBe('4'); // + its 3 fields
  });

  it('exports the dataset from the Export dialog, and the manifest lists both slides', async () => {
    const out = join(dataDir, 'export-e2e');
    await page.getByTestId('open-export').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.getByTestId('export-out').fill(out);
    await dialog.getByTestId('export-start').click();
    const progress = dialog.getByTestId('export-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    await page.screenshot({ path: join(OUT, 'export-dialog.png') });
    expect(existsSync(join(out, 'dataset.json'))).toBe(true);
    const [header, ...rows] = readFileSync(join(out, 'manifest.csv'), 'utf8').trim().split('\n');
    const columns = header.split(',');
    expect(columns).toEqual(expect.arrayContaining(['path', 'split', 'stack_id', 'slide_id', 'defocus_um']));
    const splits = new Set(rows.map((r) => r.split(',')[columns.indexOf('split')]));
    expect(splits).toEqual(new Set(['train', 'test']));
    const slides = new Set(rows.map((r) => r.split(',')[columns.indexOf('slide_id')]));
    expect(slides.size).toBe(2); // the acquired slide and the imported wafer
  });
});
