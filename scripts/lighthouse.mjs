// Lighthouse (npm, on Debian's Chromium) for home, a collection, a product and the cart
// of the shop at SHOP_URL: RUNS runs per page (default 3), median score per category,
// printed as a table and written to test-artifacts/lighthouse.json.
//   scripts/with-shop.sh node scripts/lighthouse.mjs

import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { mkdirSync, writeFileSync } from 'node:fs';

const base = process.env.SHOP_URL;
if (!base) {
  console.error('SHOP_URL is not set (run through scripts/with-shop.sh)');
  process.exit(2);
}
const runs = Number(process.env.RUNS || 3);
const categories = ['performance', 'accessibility', 'best-practices', 'seo'];

// A cart with something in it, for the cart page.
const added = await fetch(`${base}/cart/add`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: 'product=merino-crew-sweater&variant=MCS-M-OAT&quantity=1',
  redirect: 'manual',
});
const cookie = (added.headers.get('set-cookie') || '').split(';')[0];

const pages = [
  ['home', '/'],
  ['collection', '/collections/apparel'],
  ['product', '/products/merino-crew-sweater'],
  ['cart', '/cart'],
];

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const results = {};
try {
  for (const [name, path] of pages) {
    const scores = Object.fromEntries(categories.map((c) => [c, []]));
    for (let i = 0; i < runs; i++) {
      const result = await lighthouse(`${base}${path}`, {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: categories,
        extraHeaders: name === 'cart' ? { Cookie: cookie } : undefined,
      });
      for (const c of categories) scores[c].push(Math.round(result.lhr.categories[c].score * 100));
    }
    results[name] = Object.fromEntries(categories.map((c) => [c, { median: median(scores[c]), runs: scores[c] }]));
  }
} finally {
  await chrome.kill();
}

const pad = (s, n) => String(s).padEnd(n);
console.log(`\nLighthouse, median of ${runs} runs (desktop Chromium ${process.env.CHROME_PATH || '/usr/bin/chromium'}, mobile emulation)`);
console.log(pad('page', 12) + categories.map((c) => pad(c, 16)).join(''));
for (const [name] of pages) {
  console.log(pad(name, 12) + categories.map((c) => pad(results[name][c].median, 16)).join(''));
}
mkdirSync('test-artifacts', { recursive: true });
writeFileSync('test-artifacts/lighthouse.json', JSON.stringify({ base, runs, results }, null, 2));
console.log('\nwritten to test-artifacts/lighthouse.json');
