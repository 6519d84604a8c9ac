// A shopper's path through the shop in a real headless Chromium (Debian's, driven by
// playwright-core): home → category → filter → product → pick a variant → add to cart
// → cart → checkout (contact, address, shipping, review and payment) → order
// confirmation. Modes:
// - "js": islands hydrate, no reloads for the variant and the cart; the test provider;
// - "nojs": plain links and forms; the test provider;
// - "stripe": with JavaScript against a shop whose provider is Stripe (its API a local
//   stand-in). Stripe.js itself cannot load here, so the page gets a local stand-in at
//   its address (tests/browser/stripe-js-standin.js) and the shop's own
//   /stripe-payment.js drives it: a card that needs the bank's check, the check failing
//   (the page says so and does not reload), then another card on the order page.
// A screenshot of every step goes to ARTIFACTS/<mode>/. Exits non-zero, saying which
// step failed, on any mismatch.
//
//   node tests/browser/shop-flow.mjs BASE_URL ARTIFACTS_DIR js|nojs|stripe

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWalk } from './walk.mjs';

const [base, artifacts, mode] = process.argv.slice(2);
if (!base || !artifacts || !['js', 'nojs', 'stripe'].includes(mode)) {
  console.error('usage: shop-flow.mjs BASE_URL ARTIFACTS_DIR js|nojs|stripe');
  process.exit(2);
}
const withJs = mode !== 'nojs';
const stripe = mode === 'stripe';
const { page, shot, check, run } = await openWalk({ label: mode, artifacts, subdir: mode, javaScriptEnabled: withJs });
if (stripe) {
  const standIn = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'stripe-js-standin.js'), 'utf8');
  await page.route('https://js.stripe.com/v3/', (route) =>
    route.fulfill({ status: 200, contentType: 'application/javascript', body: standIn }));
}
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });

await run(async () => {
  // 1. Home.
  let response = await page.goto(base + '/');
  check(response.status() === 200, `home answered ${response.status()}`);
  check((await page.textContent('h1')).includes('Fernleaf'), 'home heading');
  if (withJs) {
    // Keyboard: the first Tab lands on the skip link, which is visibly focused.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.className);
    check(focused === 'skip-link', `first Tab focuses the skip link, not ${focused}`);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    check(outline !== 'none', 'focus is visible');
  }
  await shot('home');

  // 2. Category, from the header menu.
  await Promise.all([page.waitForURL('**/collections/apparel'), page.click('.main-nav >> text=Apparel')]);
  check((await page.textContent('h1')).trim() === 'Apparel', 'collection heading');
  await shot('category');

  // 3. Filter by size M, with the plain filter form.
  await page.check('input[name="filter.size"][value="M"]');
  await Promise.all([page.waitForURL(/filter\.size=M/), page.click('text=Apply filters')]);
  check(await page.isChecked('input[name="filter.size"][value="M"]'), 'the chosen size stays checked');
  const cards = await page.$$eval('.product-card__title', (els) => els.map((e) => e.textContent.trim()));
  check(cards.includes('Merino Crew Sweater'), `filtered results: ${cards.join(', ')}`);
  check(!cards.includes('Waxed Canvas Tote'), 'filtering narrows the results');
  await shot('filtered');

  // 4. Product.
  await Promise.all([page.waitForURL('**/products/merino-crew-sweater'), page.click('text=Merino Crew Sweater')]);
  check((await page.textContent('h1')).trim() === 'Merino Crew Sweater', 'product heading');
  await shot('product');

  // 5. Pick a variant: size M, colour Charcoal.
  if (withJs) {
    // Wait for the island to hydrate, then make sure picking does not reload the page.
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
    await page.waitForTimeout(500);
    await page.evaluate(() => { window.__noReload = true; });
  }
  await page.click('a.choice:text-is("M")');
  await page.waitForURL(/variant=MCS-M-OAT/);
  await page.click('a.choice:text-is("Charcoal")');
  await page.waitForURL(/variant=MCS-M-CHAR/);
  check(await page.inputValue('input[name="variant"]') === 'MCS-M-CHAR', 'the form posts the picked variant');
  check(await page.getAttribute('a.choice:text-is("Charcoal")', 'aria-current') === 'true', 'the pick is marked');
  // The charcoal sweater's picture leads the gallery; its thumbnail is the one hidden.
  const lead = await page.getAttribute('img.gallery__main', 'src');
  check(lead.endsWith('/merino-crew-sweater-charcoal.svg'), `the picked colour's picture leads: ${lead}`);
  const hiddenThumbs = await page.$$eval('.gallery__thumbs li[hidden] img', (els) => els.map((e) => e.getAttribute('src')));
  check(hiddenThumbs.length === 1 && hiddenThumbs[0].endsWith('-charcoal.svg'), `hidden thumbnail: ${hiddenThumbs}`);
  if (withJs) check(await page.evaluate(() => window.__noReload === true), 'picking a variant reloaded the page');
  await shot('variant');

  // 6. Add two to the cart.
  await page.fill('input[name="quantity"]', '2');
  if (withJs) {
    await page.click('button:has-text("Add to cart")');
    await page.waitForSelector('.cart-drawer');
    check((await page.textContent('.cart-drawer')).includes('Merino Crew Sweater (M / Charcoal) × 2'), 'drawer line');
    check((await page.textContent('[data-cart-count]')).trim() === '2', 'live cart count');
    check(await page.evaluate(() => window.__noReload === true), 'adding to the cart reloaded the page');
    await shot('added');
    await Promise.all([page.waitForURL('**/cart'), page.click('.cart-drawer >> text=View cart')]);
  } else {
    await Promise.all([page.waitForURL('**/cart'), page.click('button:has-text("Add to cart")')]);
  }

  // 7. Cart: the line, its quantity, and the server's total.
  const row = await page.textContent('tr[data-sku="MCS-M-CHAR"]');
  check(row.includes('Merino Crew Sweater') && row.includes('M / Charcoal'), `cart line: ${row}`);
  check((await page.textContent('tr[data-sku="MCS-M-CHAR"] .cart-line__quantity')).trim() === '2', 'quantity 2');
  check((await page.textContent('.cart-subtotal')).trim() === '$196.00', 'subtotal 2 × $98.00');
  await shot('cart');

  // 8. Checkout: contact.
  await page.click('a:has-text("Check out")');
  await page.waitForSelector('form[action="/checkout/contact"]');
  const email = `browser-${mode}-${Date.now()}@example.com`;
  await page.fill('#email', email);
  await shot('checkout-contact');
  await page.click('button:has-text("Continue to address")');

  // 9. Address.
  await page.waitForSelector('form[action="/checkout/address"]');
  await page.fill('#name', 'Ada Lovelace');
  await page.fill('#line1', '1 Main St');
  await page.fill('#city', 'San Francisco');
  await page.fill('#region', 'CA');
  await page.fill('#postal_code', '94107');
  await page.selectOption('#country', 'US');
  await shot('checkout-address');
  await page.click('button:has-text("Continue to shipping")');

  // 10. Shipping: the first rate is chosen already.
  await page.waitForSelector('form[action="/checkout/shipping"]');
  check(await page.isChecked('input[name="rate"][value="standard"]'), 'standard shipping is preselected');
  await shot('checkout-shipping');
  await page.click('button:has-text("Continue to review")');

  // 11. Review and pay.
  await page.waitForSelector('form[action="/checkout/complete"]');
  const review = await page.textContent('.checkout-review');
  check(review.includes(email) && review.includes('1 Main St'), `the review shows contact and address: ${review}`);
  const total = (await page.textContent('.checkout-total')).match(/\$[\d,.]+/)?.[0];
  check(total && total !== '$0.00', `a total to pay: ${total}`);
  if (stripe) {
    // The shop's script mounted the Payment Element for the server's amount, cards only.
    await page.waitForSelector('[data-standin-card]');
    const options = await page.evaluate(() => window.__stripeStandIn.elements[0]);
    const cents = String(Math.round(Number(total.replace(/[$,]/g, '')) * 100));
    check(String(options.amount) === cents && options.currency === 'usd', `elements for ${JSON.stringify(options)}`);
    check(JSON.stringify(options.paymentMethodTypes) === '["card"]', 'only cards');
    await page.selectOption('[data-standin-card]', 'pm_card_authenticationRequired');
  } else {
    await page.fill('#card', '4242 4242 4242 4242');
  }
  await shot('checkout-payment');
  await Promise.all([page.waitForURL(/\/orders\/FL-/), page.click(`button:has-text("Pay ${total}")`)]);

  if (stripe) {
    // 12. The bank asks the shopper to confirm; the check fails: the page says so and
    // stays (no reload loop), and offers another card.
    check(await page.getAttribute('[data-order-status]', 'data-order-status') === 'pending_payment', 'pending');
    await page.evaluate(() => { window.__noReload = true; });
    await page.click('button:has-text("Confirm with your bank")');
    await page.waitForFunction(() => document.querySelector('[data-authenticate-error]')?.textContent.length > 0);
    const said = await page.textContent('[data-authenticate-error]');
    check(said.includes('unable to authenticate') && said.includes('another card'), `the failed check: ${said}`);
    await page.waitForTimeout(2000);
    check(await page.evaluate(() => window.__noReload === true), 'a failed check reloaded the page');
    await shot('bank-check-failed');
    // 13. Another card, from the order page: the same order is paid.
    await page.selectOption('form[data-pay-again] [data-standin-card]', 'pm_card_visa');
    await Promise.all([
      page.waitForURL(/\/orders\/FL-/),
      page.waitForSelector('[data-order-status="paid"]'),
      page.click('button:has-text("with another card")'),
    ]);
  }

  // The confirmation: paid, the same total, the lines bought.
  check((await page.textContent('h1')).includes('Thank you for your order'), 'confirmation heading');
  check(await page.getAttribute('[data-order-status]', 'data-order-status') === 'paid', 'the order is paid');
  check((await page.textContent('.order-total')).trim() === total, `the confirmation's total is ${total}`);
  check((await page.textContent('[data-sku="MCS-M-CHAR"]')).includes('× 2'), 'the line bought');
  check((await page.textContent('.order-confirmation')).includes(email), 'where the confirmation goes');
  await shot('confirmation');

  check(problems.length === 0, problems.join('; '));
});
