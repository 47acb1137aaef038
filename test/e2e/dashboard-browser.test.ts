/**
 * The dashboard in a real browser (Debian's chromium through playwright-core): `serve` analyses a clip
 * paced like a live source, the page lists the stream, the valence/arousal plot grows as events
 * arrive, and a screenshot is saved (in the test's temp dir, and as docs/dashboard.png for the docs).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { makeSmileThenEmptyClip, ROOT, tempDir } from '../../src/tools/harness/media.js';
import { startServe, type ServeChild } from '../../src/tools/harness/webrtc.js';

const TOKEN = 'dashboard-secret-5e2a91c7';
/** Page code runs in the browser; this project compiles without the DOM library. */
declare const document: any;

describe('dashboard', () => {
  let dir: string;
  let clip: string;
  let server: ServeChild | undefined;
  let browser: Browser | undefined;
  before(async () => {
    dir = tempDir();
    clip = await makeSmileThenEmptyClip(join(dir, 'call.mp4'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a live stream: its expression, weights and a valence/arousal plot that updates', async () => {
    server = await startServe(['--realtime', '--source', clip, '--token', `viewer:${TOKEN}`]);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    const foreign: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server!.url) && !r.url().startsWith(server!.url.replace(/^http/, 'ws'))) foreign.push(r.url());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${server.url}/?token=${TOKEN}`);

    await page.waitForSelector('#streams li[data-stream="call.mp4"]', { timeout: 60_000 });
    // Functions, not strings: the page's content security policy forbids eval.
    await page.waitForFunction(() => document.querySelector('#connection')?.textContent === 'live');
    const points = async () => Number((await page.getAttribute('#timeline', 'data-points')) ?? 0);
    await page.waitForFunction(() => Number(document.querySelector('#timeline').dataset.points ?? 0) >= 3, undefined, { timeout: 60_000 });
    const before = await points();
    await page.waitForFunction((n: number) => Number(document.querySelector('#timeline').dataset.points ?? 0) >= n + 3, before, { timeout: 60_000 });
    const afterwards = await points();
    assert.ok(afterwards > before, `the plot grew from ${before} to ${afterwards} points`);

    // While the smiling face is on screen (the clip's first 10 s), the page says so.
    await page.waitForFunction(() => document.querySelector('#expression-label')?.textContent === 'Happiness', undefined, { timeout: 30_000 });
    const bars: string[] = await page.evaluate(() => [...document.querySelectorAll('#distribution .bar span')].map((s: { style: { width: string } }) => s.style.width));
    assert.equal(bars.length, 8);
    assert.ok(bars.some((w) => parseInt(w, 10) > 50), `the top class dominates the distribution: ${bars.join(' ')}`);
    assert.match((await page.textContent('#latency')) ?? '', /ms$/);
    assert.match((await page.textContent('#w-face-n')) ?? '', /^\d\.\d\d$/);
    assert.ok(Number(await page.getAttribute('#plane', 'data-points')) >= 1, 'a point on the valence-arousal plane');

    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot) && statSync(shot).size > 10_000);
    copyFileSync(shot, join(ROOT, 'docs', 'dashboard.png'));
    assert.deepEqual(foreign, [], 'nothing is fetched from another origin');
    assert.deepEqual(problems, []);
  });
});
