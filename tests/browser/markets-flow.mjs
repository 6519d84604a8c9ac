// The shop's markets in a real headless Chromium (Debian's, driven by playwright-core),
// with JavaScript on or off (`mode` js | nojs): the same product in the default edition
// (USD, English), then through the footer's country and language selector in Canada in
// French (CAD, `176,99 $`, French title and buttons) and in English (`CA$176.99`); a
// cart filled in the default edition, then opened in Canada in French: repriced in
// CAD and saying so; with JavaScript, the buy box adds in French once hydrated. A
// screenshot of every step goes to ARTIFACTS/markets-<mode>/. Exits non-zero, saying
// which step failed, on any mismatch.
//
//   node tests/browser/markets-flow.mjs BASE_URL ARTIFACTS_DIR MODE

import { openWalk } from './walk.mjs';

const [base, artifacts, mode] = process.argv.slice(2);
if (!base || !artifacts || !['js', 'nojs'].includes(mode)) {
  console.error('usage: markets-flow.mjs BASE_URL ARTIFACTS_DIR js|nojs');
  process.exit(2);
}
const withJs = mode === 'js';
const { page, shot, check, run } =
  await openWalk({ label: `markets ${mode}`, artifacts, subdir: `markets-${mode}`, javaScriptEnabled: withJs });

// Amounts as each edition writes them (no-break spaces read as spaces).
const usd = /^\$\d[\d,]*\.\d\d$/;
const cadEnglish = /^CA\$\d[\d,]*\.\d\d$/;
const cadFrench = /^\d[\d\s]*,\d\d\s\$$/;
const tidy = (text) => (text ?? '').replace(/[\u00a0\u202f]/g, ' ').trim();

/// Picks `label` in the footer's selector (a <details> of plain links).
async function choose(label, urlPattern) {
  await page.click('.edition-selector summary');
  await Promise.all([page.waitForURL(urlPattern), page.click(`.edition-selector a:has-text("${label}")`)]);
}

async function lang() {
  return page.getAttribute('html', 'lang');
}

async function price() {
  return tidy(await page.textContent('.product__price .price'));
}

await run(async () => {
  // 1. The default edition: US dollars, English.
  await page.goto(`${base}/products/roll-top-daypack`);
  check((await lang()) === 'en', 'the default edition is English');
  check(usd.test(await price()), `a US price: ${await price()}`);
  check((await page.textContent('h1')).includes('Roll-Top Daypack'), 'the English title');
  await shot('default-edition');

  // 2. Canada in French, through the selector: the same product, CAD, French.
  await choose('Canada (CAD) · Français', '**/fr-ca/products/roll-top-daypack');
  check((await lang()) === 'fr', 'French');
  check(cadFrench.test(await price()), `a French CAD price: ${await price()}`);
  check((await page.textContent('h1')).includes('Sac à dos'), 'the French title');
  check((await page.textContent('.add-to-cart button[type=submit]')).includes('Ajouter au panier'), 'French button');
  check((await page.getAttribute('link[rel=canonical]', 'href')).endsWith('/fr-ca/products/roll-top-daypack'),
    'its canonical URL is its own');
  await shot('canada-french');

  // 3. Canada in English: CAD written the English way.
  await choose('Canada (CAD) · English', '**/en-ca/products/roll-top-daypack');
  check((await lang()) === 'en', 'English');
  check(cadEnglish.test(await price()), `an English CAD price: ${await price()}`);
  await shot('canada-english');

  // 4. Back to the default edition; the daypack goes into the cart there.
  await choose('United States & Europe (USD) · English', /\/products\/roll-top-daypack$/);
  check(!page.url().includes('-ca/'), `back in the default edition: ${page.url()}`);
  if (withJs) {
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
    await page.waitForTimeout(500);
    await page.click('button:has-text("Add to cart")');
    await page.waitForSelector('.cart-drawer');
    await Promise.all([page.waitForURL(/\/cart$/), page.click('.cart-drawer >> text=View cart')]);
  } else {
    await Promise.all([page.waitForURL(/\/cart$/), page.click('button:has-text("Add to cart")')]);
  }
  const usdSubtotal = tidy(await page.textContent('.cart-subtotal'));
  check(usd.test(usdSubtotal), `a US subtotal: ${usdSubtotal}`);
  await shot('cart-in-usd');

  // 5. The same cart opened in Canada, in French: repriced in CAD, and told so.
  await choose('Canada (CAD) · Français', '**/fr-ca/cart');
  check((await page.textContent('h1')).includes('Votre panier'), 'the French cart page');
  const cadSubtotal = tidy(await page.textContent('.cart-subtotal'));
  check(cadFrench.test(cadSubtotal), `a CAD subtotal: ${cadSubtotal}`);
  const notice = tidy(await page.textContent('.cart-repriced'));
  check(notice.includes('USD') && notice.includes('CAD'), `the repricing is explained: ${notice}`);
  check(!(await page.content()).includes('$129.00'), 'no US price on the Canadian cart');
  await shot('cart-in-cad');

  // 6. With JavaScript, the hydrated buy box adds in French and stays in the edition.
  if (withJs) {
    await page.goto(`${base}/fr-ca/products/stoneware-mug`);
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
    await page.waitForTimeout(500);
    await page.click('button:has-text("Ajouter au panier")');
    await page.waitForSelector('.cart-drawer');
    const drawer = tidy(await page.textContent('.cart-drawer'));
    check(drawer.includes('Ajouté à votre panier') && /\d,\d\d \$/.test(drawer), `the drawer in French: ${drawer}`);
    check((await page.getAttribute('.cart-drawer a', 'href')) === '/fr-ca/cart', 'the drawer links to this edition');
    await shot('drawer-in-french');
  }
});
