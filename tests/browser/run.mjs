// Drives the web console in headless Chromium (Debian's /usr/bin/chromium through playwright-core,
// no bundled browser) against a running `reko serve` with a trained campaign. Started by
// crates/reko/tests/browser.rs; exits non-zero on the first failed check.
//
//   node tests/browser/run.mjs <url> <access key id> <secret> <campaign name> <screenshot dir> [user id] [filter name]
//
// The user id is one in the campaign's data (default u1); the filter (default browser-unclicked), one
// of its dataset group, is the try-it form's promotion and the filters page's test.
//
// REKO_CHROMIUM names another Chromium binary (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, keyId, secret, campaignName, shots, userId = 'u1', filterName = 'browser-unclicked'] = process.argv.slice(2);
if (!shots) {
  console.error('usage: run.mjs <url> <key id> <secret> <campaign name> <screenshot dir> [user id]');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.REKO_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(15_000);
  // Anything the browser refuses (a CSP violation, a missing asset) or a script error fails the test.
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && r.status() !== 401 && problems.push(`${r.status()} ${r.url()}`));
  const step = (name) => console.log(`browser: ${name}`);
  // A uPlot chart drawn on a <canvas> of a useful size, from data the server wrote.
  const drawn = async (kind) => {
    await page.locator(`[data-plot="${kind}"] .uplot canvas`).waitFor();
    const size = await page.locator(`[data-plot="${kind}"] canvas`).boundingBox();
    assert.ok(size && size.width > 200 && size.height > 100, `${kind} canvas drawn: ${JSON.stringify(size)}`);
    const points = JSON.parse(await page.locator(`[data-plot="${kind}"]`).getAttribute('data-series'));
    assert.ok(points[0].length >= 1 && points.every((s) => s.length === points[0].length), `${kind} data`);
    return points;
  };

  step('a wrong secret shows an error and no session');
  await page.goto(`${url}/console/login`);
  await page.fill('#access_key_id', keyId);
  await page.fill('#secret_access_key', `${secret}-wrong`);
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${url}/console/login` && r.request().method() === 'POST'),
    page.click('button[type=submit]'),
  ]);
  assert.equal(refused.status(), 401);
  await page.waitForLoadState();
  await page.locator('p.err').waitFor();
  assert.match(await page.locator('p.err').innerText(), /wrong secret/);
  assert.equal((await page.context().cookies()).length, 0, 'no cookie after a wrong secret');
  // The 401 of the refused login is expected; the console logs it as an error.
  problems.length = 0;

  step('log in');
  await page.fill('#access_key_id', keyId);
  await page.fill('#secret_access_key', secret);
  await Promise.all([page.waitForURL(`${url}/console`), page.click('button[type=submit]')]);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('link', { name: campaignName, exact: true }).waitFor();
  assert.equal(await page.locator('header .who').innerText(), keyId);
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

  step('the campaign page and its traffic charts');
  await page.getByRole('link', { name: campaignName, exact: true }).click();
  await page.getByRole('heading', { name: `Campaign ${campaignName}` }).waitFor();
  const campaignUrl = page.url();
  for (const kind of ['rate', 'tps-hours', 'per-minute', 'latency']) {
    await drawn(kind);
  }

  step('the dataset group page');
  await page.locator('main table a[href^="/console/group"]').first().click();
  await page.locator('h1', { hasText: 'Dataset group' }).waitFor();
  await page.getByRole('heading', { name: 'Solutions and versions' }).waitFor();
  assert.ok((await page.locator('main table').count()) >= 3, 'schema, import and version tables');
  // The data insights: two uPlot charts drawn on <canvas> by the console's own script.
  await page.locator('[data-plot="per-day"] .uplot canvas').waitFor();
  await page.locator('[data-plot="long-tail"] .uplot canvas').waitFor();
  for (const kind of ['per-day', 'long-tail', 'history']) {
    const points = await drawn(kind);
    assert.ok(points[0].length > 1, `${kind}: several points`);
  }
  assert.match(await page.locator('main').innerText(), /Data insights/);
  assert.match(await page.locator('main').innerText(), /Users with at least 2 interactions/);
  const groupUrl = page.url();
  await page.screenshot({ path: join(shots, 'group.png'), fullPage: true });

  step('the try-it form, with a promotion');
  await page.goto(campaignUrl);
  // htmx must have loaded (it is what posts the form without leaving the page).
  await page.waitForFunction(() => typeof window.htmx === 'object');
  await page.fill('#user_id', userId);
  await page.fill('#num_results', '5');
  await page.fill('#promotion_name', 'unclicked');
  await page.selectOption('#promotion_filter_arn', { label: filterName });
  await page.fill('#promotion_percent', '40');
  await page.getByRole('button', { name: 'Get recommendations' }).click();
  const rows = page.locator('#result table.items tr:has(td)');
  await rows.first().waitFor();
  assert.equal(page.url(), campaignUrl, 'htmx swapped the result into the page');
  assert.equal(await rows.count(), 5, 'numResults 5 gives 5 items');
  for (let i = 0; i < 5; i++) {
    const cells = await rows.nth(i).locator('td').allInnerTexts();
    assert.equal(cells[0], String(i + 1));
    assert.ok(cells[1].length > 0, 'an item id');
    // aws-popularity-count gives no score (as on AWS); other recipes do.
    assert.ok(cells[2] === '' || Number.isFinite(Number(cells[2])), `a score: ${cells[2]}`);
  }
  const promoted = await page.locator('#result table.items td:nth-child(4)').allInnerTexts();
  assert.equal(promoted.filter((p) => p === 'unclicked').length, 2, `40% of 5 promoted: ${promoted}`);
  assert.match(await page.locator('#result').innerText(), /recommendationId/);
  assert.match(await page.locator('#result').innerText(), new RegExp(`Recent events of ${userId}`));
  await page.screenshot({ path: join(shots, 'campaign.png'), fullPage: true });

  step('the campaign page counts the call');
  await page.goto(campaignUrl);
  const latency = await drawn('latency');
  assert.ok(latency[1].some((p50) => p50 > 0), 'a p50 in the last hour');
  const perMinute = await drawn('per-minute');
  assert.ok(perMinute[1].reduce((a, b) => a + b, 0) >= 1, 'the request counted');

  step('the solution page');
  await page.locator('main a[href^="/console/solution"]').first().click();
  await page.locator('h1', { hasText: 'Solution' }).waitFor();
  await page.getByRole('heading', { name: 'Versions side by side' }).waitFor();
  await drawn('metrics');
  await page.screenshot({ path: join(shots, 'solution.png'), fullPage: true });

  step('the events page and its live tail');
  await page.goto(groupUrl);
  await page.getByRole('link', { name: 'Events (live)' }).click();
  await page.locator('h1', { hasText: 'Events of' }).waitFor();
  await drawn('events-per-minute');
  assert.ok((await page.locator('#tail table tr:has(td)').count()) > 0, 'the newest events');
  // htmx polls the tail every 3 seconds and swaps it in.
  const polled = await page.waitForResponse((r) => r.url().includes('/console/events/tail'), { timeout: 10_000 });
  assert.equal(polled.status(), 200);
  await page.locator('#tail table tr:has(td)').first().waitFor();
  await page.screenshot({ path: join(shots, 'events.png'), fullPage: true });

  step('the filters page and its test box');
  await page.goto(groupUrl);
  await page.getByRole('link', { name: 'Filters', exact: true }).click();
  await page.locator('h1', { hasText: 'Filters of' }).waitFor();
  assert.match(await page.locator('main table').first().innerText(), /EXCLUDE ItemID/);
  await page.fill('#user_id', userId);
  await page.fill('#num_results', '5');
  await page.selectOption('#filter_arn', { label: filterName });
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.locator('#test-result table.items').nth(1).waitFor();
  assert.equal(await page.locator('#test-result table.items').count(), 2, 'both lists');
  assert.match(await page.locator('#test-result').innerText(), new RegExp(`With filter ${filterName}`));
  await page.screenshot({ path: join(shots, 'filters.png'), fullPage: true });

  assert.deepEqual(problems, [], 'the browser reported problems');
  step('all checks passed');
} catch (e) {
  failed = true;
  console.error(`browser test failed: ${e.stack || e}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
