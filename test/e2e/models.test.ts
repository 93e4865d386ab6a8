/**
 * End to end: the Models page in headless Chromium over `focus-station serve`. The shipped models are listed, and a
 * committed evaluation report (docs/eval-20x, written by `focus-station evaluate`) opens into the table, with the
 * per-stack ordering column read from the report's results.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startServeProcess, type ServeProcess } from '../helpers/serve-process';

const REPORT = join(__dirname, '..', '..', 'docs', 'eval-20x');
const MODELS = join(__dirname, '..', '..', 'resources', 'models');
let serve: ServeProcess;
let browser: Browser;
let page: Page;

interface ResultRow {
  model: string;
  sign_error_rate: number;
  stack_ordering: { spearman_median: number; spearman_central_median: number };
}

beforeAll(async () => {
  serve = await startServeProcess([], { FOCUS_STATION_DATA_DIR: mkdtempSync(join(tmpdir(), 'fs-e2e-models-')) });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(serve.url);
  await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
  await page.getByTestId('nav-models').click();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

describe('Models page in Chromium', () => {
  it('lists the shipped models', async () => {
    const rows = page.getByTestId('model-row');
    await expect
      .poll(() => rows.allTextContents())
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining('ldse-net-20x'),
          expect.stringContaining('ldse-net-40x'),
          expect.stringContaining('ldse-net-20x-mono'),
          expect.stringContaining('ldse-net-40x-mono'),
        ]),
      );
  });

  it("shows a model's test metrics, and says a monochrome model's are on monochrome patches", async () => {
    const card = JSON.parse(readFileSync(join(MODELS, 'ldse-net-40x-mono.json'), 'utf8')) as {
      metrics: { test_sign_error_rate: number };
    };
    await page.getByTestId('model-row').filter({ hasText: 'ldse-net-40x-mono' }).click();
    const metrics = page.getByTestId('card-metrics');
    await expect
      .poll(() => metrics.textContent())
      .toContain(`wrong side ${(100 * card.metrics.test_sign_error_rate).toFixed(1)} %`);
    expect(await metrics.textContent()).toContain('on monochrome patches');
    await page
      .getByTestId('model-row')
      .filter({ hasText: /ldse-net-40x(?!-mono)/ })
      .click();
    await expect.poll(() => metrics.textContent()).not.toContain('on monochrome patches');
  });

  it('opens an evaluation report with sign errors and ordering within stacks per model', async () => {
    const results = JSON.parse(readFileSync(join(REPORT, 'results.json'), 'utf8')) as { models: ResultRow[] };
    await page.getByPlaceholder('report folder (optional)').fill(REPORT);
    await page.getByRole('button', { name: 'Open report' }).click();
    const table = page.getByTestId('evaluation-table');
    await table.waitFor();
    expect(await table.locator('th').allTextContents()).toContain('Ordering ±10 / ±5');
    const rows = table.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(results.models.length);
    for (const [i, m] of results.models.entries()) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      expect(cells[0]).toBe(m.model);
      expect(cells).toContain(`${(100 * m.sign_error_rate).toFixed(1)}%`);
      const { spearman_median: all, spearman_central_median: central } = m.stack_ordering;
      expect(cells).toContain(`${all.toFixed(3)} / ${central.toFixed(3)}`);
    }
  });
});
