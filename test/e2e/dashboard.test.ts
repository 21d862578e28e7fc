/**
 * The live dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core): start
 * the emulator, start a migration through WS-Man, watch the progress bar move and the VM change
 * host on the page; fault rules and requests show up too. Screenshots go to test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobOf, migrate, VM } from '../helpers/hyperv.js';
import { startControlLab, type ControlLab } from '../unit/control/lab.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let lab: ControlLab;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  lab = await startControlLab();
  profile = mkdtempSync(join(tmpdir(), 'vmms-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await lab?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const percentOf = async (vm: string) => Number(await page.locator(`.migration[data-vm="${vm}"] [role="progressbar"]`).getAttribute('aria-valuenow'));

describe('dashboard', () => {
  test('a migration started over WS-Man: the bar moves, the VM changes host', async () => {
    await page.goto(`${lab.controlUrl}/dashboard/`);
    await page.locator('#connection[data-connected="true"]').waitFor({ timeout: 10_000 });
    const onHv1 = page.locator(`[data-host="HV1"] [data-vm="${VM.web01}"]`);
    const onHv2 = page.locator(`[data-host="HV2"] [data-vm="${VM.web01}"]`);
    await onHv1.waitFor();
    expect(await onHv2.count()).toBe(0);
    expect(await page.locator('[data-host="HV1"] .vm[data-vm]').count()).toBe(5);

    const job = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    const bar = page.locator(`.migration[data-vm="${VM.web01}"] [role="progressbar"]`);
    await bar.waitFor({ timeout: 10_000 });
    expect(await page.locator(`.migration[data-job="${job.id}"]`).count()).toBe(1);
    const p0 = await percentOf(VM.web01);

    // 3.5 s of fabric time: set-up done (10 %) and part of the memory copied
    lab.clock.advance(3500);
    await expect.poll(() => percentOf(VM.web01), { timeout: 10_000 }).toBeGreaterThan(Math.max(p0, 20));
    const p1 = await percentOf(VM.web01);
    expect(p1).toBeLessThan(95);
    await expect.poll(async () => (await onHv1.getAttribute('data-state')) ?? '').toBe('running');
    await expect(page.locator(`[data-host="HV1"] [data-vm="${VM.web01}"] .state`).textContent()).resolves.toContain('migrating');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    lab.clock.advance(1500);
    await expect.poll(() => percentOf(VM.web01), { timeout: 10_000 }).toBeGreaterThan(p1);

    // the cut-over
    lab.clock.advance(3000);
    await onHv2.waitFor({ timeout: 10_000 });
    await expect.poll(() => onHv1.count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => page.locator('.migration').count()).toBe(0);
    await expect.poll(async () => (await page.locator(`#jobs tr[data-job="${job.id}"] td:nth-child(4)`).textContent()) ?? '').toBe('completed');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-after.png'), fullPage: true });
  });

  test('fault rules, injections and requests show up live', async () => {
    const r = await lab.api<{ id: string }>('POST', '/api/faults', { id: 'hv2-down', host: 'HV2', effect: { kind: 'unreachable' } });
    expect(r.status).toBe(201);
    await page.locator('#faults [data-rule="hv2-down"]').waitFor({ timeout: 10_000 });
    await expect.poll(async () => (await page.locator('[data-host="HV2"] .badge').textContent()) ?? '').toContain('down');
    await expect.poll(() => page.locator('#injections li').count()).toBeGreaterThan(0);
    await lab.api('DELETE', '/api/faults/hv2-down');
    await expect.poll(() => page.locator('#faults [data-rule="hv2-down"]').count()).toBe(0);
    await expect.poll(() => page.locator('#requests tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#requests tbody tr').first().textContent()).toMatch(/HV\d/);
  });
});
