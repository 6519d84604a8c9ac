// The merchant's path through /admin in a real headless Chromium (Debian's, driven by
// playwright-core), with JavaScript off (the merchant area needs none): /admin sends
// to the sign-in form; a wrong token is refused; the right one opens the order desk;
// a search by the order's number finds it; its page fulfils it with a tracking number;
// the desk then lists it as fulfilled. A screenshot of every step goes to
// ARTIFACTS/admin/. Exits non-zero, saying which step failed, on any mismatch.
//
//   ADMIN_TOKEN=… node tests/browser/admin-flow.mjs BASE_URL ARTIFACTS_DIR ORDER_NUMBER

import { openWalk } from './walk.mjs';

const [base, artifacts, number] = process.argv.slice(2);
const token = process.env.ADMIN_TOKEN;
if (!base || !artifacts || !number || !token) {
  console.error('usage: ADMIN_TOKEN=… admin-flow.mjs BASE_URL ARTIFACTS_DIR ORDER_NUMBER');
  process.exit(2);
}
const { context, page, shot, check, run } =
  await openWalk({ label: 'admin', artifacts, subdir: 'admin', javaScriptEnabled: false });

await run(async () => {
  // 1. The merchant area asks for the token.
  await page.goto(`${base}/admin`);
  check(new URL(page.url()).pathname === '/admin/sign-in', `/admin sends to the sign-in form, not ${page.url()}`);
  await shot('sign-in');

  // 2. A wrong token is refused, on the same form.
  await page.fill('#admin-token', 'not-the-token-0123456789');
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]:has-text("Sign in")')]);
  check((await page.textContent('[data-notice="problem"]')).includes("not this shop's admin token"),
    'a wrong token is refused with a reason');
  await shot('wrong-token');

  // 3. The right token opens the order desk.
  await page.fill('#admin-token', token);
  await Promise.all([page.waitForURL('**/admin/orders'), page.click('button[type="submit"]:has-text("Sign in")')]);
  check((await page.textContent('h1')).trim() === 'Orders', 'the order desk');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'admin');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.expires > Date.now() / 1000,
    `an HttpOnly, SameSite=Strict session cookie with an expiry: ${JSON.stringify(session)}`);
  await shot('order-desk');

  // 4. Search by the order's number, filtered to paid orders.
  await page.fill('#desk-q', number);
  await page.selectOption('#desk-status', 'paid');
  await Promise.all([page.waitForURL('**/admin/orders?**'), page.click('button:has-text("Find")')]);
  const rows = await page.locator('tbody tr').count();
  check(rows === 1, `one order found by its number, not ${rows}`);
  check(await page.getAttribute('tbody tr', 'data-order') === number, 'the order searched for');
  await shot('search');

  // 5. Its page: fulfil with a tracking number.
  await Promise.all([page.waitForURL(`**/admin/orders/${number}`), page.click(`a:has-text("${number}")`)]);
  check(await page.getAttribute('[data-order-status]', 'data-order-status') === 'paid', 'the order is paid');
  await page.fill('#tracking', '1Z999AA10123456784');
  await Promise.all([page.waitForURL('**?done=fulfilled'), page.click('button:has-text("Mark fulfilled")')]);
  check((await page.textContent('[data-notice="done"]')).includes('Marked fulfilled'), 'the desk says it is done');
  check(await page.getAttribute('[data-order-status]', 'data-order-status') === 'fulfilled', 'now fulfilled');
  check((await page.textContent('[data-tracking]')).trim() === '1Z999AA10123456784', 'the tracking number kept');
  await shot('fulfilled');

  // 6. A note on the order.
  await page.fill('#note', 'Shipped in a gift box.');
  await Promise.all([page.waitForURL('**?done=noted'), page.click('button:has-text("Add note")')]);
  check((await page.textContent('[data-notes]')).includes('Shipped in a gift box.'), 'the note is listed');
  await shot('noted');

  // 7. The dashboard: the hour's numbers and charts, server-drawn SVG.
  await page.click('nav[aria-label="Merchant"] a:has-text("Dashboard")');
  await page.waitForURL('**/admin/dashboard');
  check(await page.locator('figure.chart svg').count() === 4, 'three line charts and the funnel');
  const orders = Number((await page.textContent('[data-metric="orders"] dd')).trim());
  check(orders >= 1, `the order placed shows on the dashboard (${orders})`);
  check(await page.locator('tr[data-route="admin"]').count() === 1, "the merchant area's own requests are counted");
  await shot('dashboard');
  await Promise.all([page.waitForURL('**window=day'), page.click('a:has-text("Last day")')]);
  check(await page.getAttribute('figure.chart svg', 'data-points') === '144', 'a day has 144 points');

  // 8. Sign out: the desk asks for the token again.
  await Promise.all([page.waitForURL('**/admin/sign-in'), page.click('button:has-text("Sign out")')]);
  await page.goto(`${base}/admin/orders`);
  check(new URL(page.url()).pathname === '/admin/sign-in', 'signed out');
  await shot('signed-out');

});
