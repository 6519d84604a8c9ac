// What every browser walk shares: Debian's Chromium launched headless through
// playwright-core, one page at 1280×900 with JavaScript on or off, a numbered
// full-page screenshot per step into the walk's directory, and checks that fail the
// walk with its name and the reason.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/// Opens the browser for walk `label` (screenshots in ARTIFACTS/`subdir`/).
export async function openWalk({ label, artifacts, subdir, javaScriptEnabled }) {
  const dir = join(artifacts, subdir);
  mkdirSync(dir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  let step = 0;
  async function shot(name) {
    step += 1;
    const file = join(dir, `${String(step).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`  ${label} step ${step}: ${name} (${page.url()})`);
  }
  function check(ok, message) {
    if (!ok) throw new Error(`${label}: ${message}`);
  }
  /// Runs the walk's steps: on a failure, a last screenshot, the reason, a failing exit.
  async function run(steps) {
    try {
      await steps();
      console.log(`${label}: the whole path works (${step} screenshots in ${dir})`);
    } catch (error) {
      await shot('failure').catch(() => {});
      console.error(error.message);
      process.exitCode = 1;
    } finally {
      await browser.close();
    }
  }
  return { browser, context, page, dir, shot, check, run };
}
