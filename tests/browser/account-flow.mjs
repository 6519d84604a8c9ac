// A customer's path through their account in a real headless Chromium (Debian's, driven
// by playwright-core), with JavaScript on or off (`mode` js | nojs): ask for a sign-in
// link at /account; read it from the shop's outbox (the local mail sink, through the
// merchant API); open it and press "Sign in"; see the order placed with that address
// before the account existed; save an address; at checkout, see the email filled in
// and the saved address offered, and ship there; sign out; the used link is refused.
// A screenshot of every step goes to ARTIFACTS/account-<mode>/. Exits non-zero, saying
// which step failed, on any mismatch.
//
//   ADMIN_TOKEN=… node tests/browser/account-flow.mjs BASE_URL ARTIFACTS_DIR MODE EMAIL ORDER_NUMBER

import { openWalk } from './walk.mjs';

const [base, artifacts, mode, email, number] = process.argv.slice(2);
const token = process.env.ADMIN_TOKEN;
if (!base || !artifacts || !['js', 'nojs'].includes(mode) || !email || !number || !token) {
  console.error('usage: ADMIN_TOKEN=… account-flow.mjs BASE_URL ARTIFACTS_DIR js|nojs EMAIL ORDER_NUMBER');
  process.exit(2);
}
const withJs = mode === 'js';
const { context, page, shot, check, run } =
  await openWalk({ label: `account ${mode}`, artifacts, subdir: `account-${mode}`, javaScriptEnabled: withJs });

/// The newest sign-in link the outbox holds for `to` (the queue writes it within a
/// second or two).
async function linkFromOutbox(to) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const reply = await fetch(`${base}/api/v1/admin/outbox`, { headers: { authorization: `Bearer ${token}` } });
    const { emails } = await reply.json();
    const mail = emails.find((e) => e.kind === 'sign_in_link' && e.to.toLowerCase() === to.toLowerCase());
    const link = mail?.body.match(/https?:\/\/\S+\/account\/verify\?t=\S+/)?.[0];
    if (link) return link;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`account ${mode}: no sign-in link for ${to} reached the outbox`);
}

await run(async () => {
  // 1. The header's Account link leads to the sign-in form.
  await page.goto(`${base}/`);
  await Promise.all([page.waitForURL('**/account'), page.click('a.account-link')]);
  check((await page.textContent('h1')).trim() === 'Sign in', 'the sign-in page');
  await shot('sign-in');

  // 2. Ask for a link (the address typed in another case than the order's).
  await page.fill('#account-email', email.toUpperCase());
  await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Email me a sign-in link")')]);
  check((await page.textContent('[data-link-sent]')).includes('We sent a sign-in link'), 'the link is on its way');
  await shot('link-sent');

  // 3. The link from the mail sink; opening it shows one button.
  const link = await linkFromOutbox(email);
  check(link.startsWith(base), `the link is on this shop: ${link}`);
  await page.goto(link);
  check((await context.cookies()).every((c) => c.name !== 'customer'), 'opening the link signs nobody in');
  await shot('verify');
  await Promise.all([page.waitForURL('**/account'), page.click('button:has-text("Sign in")')]);
  const cookie = (await context.cookies()).find((c) => c.name === 'customer');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Lax' && cookie.expires > Date.now() / 1000,
    `an HttpOnly, SameSite=Lax session cookie: ${JSON.stringify(cookie)}`);

  // 4. The account: the order placed with this address before the account existed.
  check((await page.textContent('h1')).trim() === 'Your account', 'the account page');
  check(await page.locator(`tr[data-order="${number}"]`).count() === 1, `order ${number} in the history`);
  await shot('account');

  // 5. Save an address.
  await page.fill('form[data-add-address] #name', 'Ada Lovelace');
  await page.fill('form[data-add-address] #line1', '12 St James’s Square');
  await page.fill('form[data-add-address] #city', 'Portland');
  await page.fill('form[data-add-address] #region', 'OR');
  await page.fill('form[data-add-address] #postal_code', '97201');
  await page.selectOption('form[data-add-address] #country', 'US');
  await Promise.all([page.waitForURL('**/account'), page.click('button:has-text("Save address")')]);
  check(await page.locator('li[data-saved-address]').count() === 1, 'one saved address');
  check((await page.textContent('li[data-saved-address]')).includes('12 St James’s Square'), 'the address as typed');
  await shot('address-saved');

  // 6. Checkout: the email is filled in, the saved address offered and taken.
  await page.goto(`${base}/products/waxed-canvas-tote`);
  // With JavaScript the island adds it in place (a drawer opens) once it has hydrated;
  // a click before that posts the form, as without JavaScript. Either adds the line.
  const quietly = (waiting) => waiting.catch(() => null);
  const added = withJs
    ? Promise.race([quietly(page.waitForSelector('.cart-drawer')), quietly(page.waitForURL('**/cart'))])
    : page.waitForURL('**/cart');
  await Promise.all([added, page.click('button:has-text("Add to cart")')]);
  await page.goto(`${base}/checkout`);
  await page.waitForSelector('form[action="/checkout/contact"]');
  check((await page.inputValue('#email')).toLowerCase() === email.toLowerCase(), 'the account\'s email is filled in');
  await page.click('button:has-text("Continue to address")');
  await page.waitForSelector('section.saved-addresses');
  await shot('checkout-saved-addresses');
  await Promise.all([
    page.waitForSelector('form[action="/checkout/shipping"]'),
    page.click('section.saved-addresses button:has-text("Ship here")'),
  ]);
  await shot('checkout-shipping');

  // 7. Sign out: the account page asks to sign in again; the used link is refused.
  await page.goto(`${base}/account`);
  await Promise.all([page.waitForURL('**/account?ended=signed-out'), page.click('button:text-is("Sign out")')]);
  check((await page.textContent('[data-signed-out]')).includes('You are signed out'), 'signed out');
  await page.goto(link);
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('[data-link-refused]');
  check((await page.textContent('h1')).includes('already used'), 'a used link is refused with a clear page');
  await shot('link-used');
});
