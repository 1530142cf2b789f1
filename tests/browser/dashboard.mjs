// The dashboard in headless Chromium against a real server and agent (started by
// dashboard_browser_test): log in, see the agent online, create a ping test through the form,
// watch its results arrive live, chart a metric, zoom, stop the test, create a viewer, check that
// stored markup renders as text, log in as the viewer (no operator buttons, the API says 403), log
// out. Any console error, page error or CSP violation fails the run. Screenshots go to
// ARTIFACT_DIR.
//
// env: BASE_URL, ADMIN_PASSWORD, AGENT_NAME, ARTIFACT_DIR, CHROMIUM (default /usr/bin/chromium)
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdirSync} from 'node:fs';
import path from 'node:path';
import {chromium} from 'playwright-core';

const kLaunchArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const kDesktop = {width: 1280, height: 800};
const kPhone = {width: 390, height: 844};
const kUiWaitMs = 15_000; // a page or a dialog to show
const kLiveWaitMs = 90_000; // results to arrive from the agent (1 s interval, shared 2-core machine)
const kXssTestName = '<img src=x onerror=window.__xss=1>';
const kXssUserName = '<script>window.__xss=1</script>';

function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is not set`);
  return v;
}

const baseUrl = env('BASE_URL').replace(/\/$/, '');
const adminPassword = env('ADMIN_PASSWORD');
const agentName = env('AGENT_NAME');
const artifactDir = env('ARTIFACT_DIR');
const chromiumPath = env('CHROMIUM', '/usr/bin/chromium');
mkdirSync(artifactDir, {recursive: true});

const problems = [];
// Failed requests the test makes on purpose show as console errors: 401 (the session check before
// logging in, a wrong password), 403 (the viewer's forbidden call, only while expected).
let allowForbidden = false;
function expectedConsoleError(text) {
  if (/Failed to load resource: the server responded with a status of 401/.test(text)) return true;
  return allowForbidden && /Failed to load resource: the server responded with a status of 403/.test(text);
}

function step(text) {
  console.log(`-- ${text}`);
}

async function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expectedConsoleError(msg.text())) problems.push(`${label}: console error: ${msg.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('dialog', async (d) => {
    problems.push(`${label}: unexpected ${d.type()} dialog: ${d.message()}`);
    await d.dismiss();
  });
  await page.exposeFunction('__reportCspViolation', (text) => problems.push(`${label}: CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
}

async function shot(page, name, {phone = false} = {}) {
  if (phone) await page.setViewportSize(kPhone);
  await page.waitForTimeout(300); // layout after a resize, chart redraw
  await page.screenshot({path: path.join(artifactDir, `${name}.png`), fullPage: true});
  if (phone) await page.setViewportSize(kDesktop);
}

async function go(page, hash, readySelector) {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
  await page.waitForSelector(readySelector, {timeout: kUiWaitMs});
}

async function confirmModal(page) {
  const ok = page.locator('.modal.show [data-action="confirm"]');
  await ok.waitFor({timeout: kUiWaitMs});
  await ok.click();
  await page.locator('.modal').waitFor({state: 'detached', timeout: kUiWaitMs});
}

async function login(page, username, password) {
  await page.waitForSelector('#login-username', {timeout: kUiWaitMs});
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#logout', {timeout: kUiWaitMs});
  await page.waitForSelector('#live-status[data-state="open"]', {timeout: kUiWaitMs});
}

async function logout(page) {
  await page.click('#logout');
  await page.waitForSelector('#login-username', {timeout: kUiWaitMs});
  assert.equal(await page.locator('#logout').count(), 0, 'the navbar still offers to log out');
}

async function xssFired(page) {
  return page.evaluate(() => window.__xss !== undefined);
}

async function dataNumber(page, selector, key) {
  return Number(await page.locator(selector).getAttribute(`data-${key}`));
}

async function chartPoints(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('#chart canvas');
    const chart = canvas && window.Chart.getChart(canvas);
    return chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : -1;
  });
}

async function main() {
  const browser = await chromium.launch({executablePath: chromiumPath, args: kLaunchArgs});
  try {
    const context = await browser.newContext({viewport: kDesktop});
    const page = await context.newPage();
    await watch(page, 'admin');

    step('login page; a wrong password shows the server\'s message');
    await page.goto(`${baseUrl}/`);
    await page.waitForSelector('#login-username', {timeout: kUiWaitMs});
    await shot(page, 'login');
    await shot(page, 'login-phone', {phone: true});
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', 'not the password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-message .api-error', {timeout: kUiWaitMs});
    assert.ok((await page.locator('#login-message').innerText()).trim().length > 0, 'no error text after a wrong password');

    step('log in as admin; the dashboard shows the agent online');
    await login(page, 'admin', adminPassword);
    await page.waitForFunction(() => Number(document.querySelector('#stat-online')?.textContent) >= 1, null, {timeout: kUiWaitMs});
    await page.locator('.dashboard-agent', {hasText: agentName}).locator('.badge', {hasText: 'online'}).waitFor({timeout: kUiWaitMs});
    assert.equal(await page.locator('#nav-username').innerText(), 'admin');
    await shot(page, 'dashboard');
    await shot(page, 'dashboard-phone', {phone: true});

    step('agents page');
    await go(page, '#/agents', '#agents-table tbody tr');
    const agentRow = page.locator('#agents-table tr', {hasText: agentName});
    await agentRow.locator('.badge', {hasText: 'online'}).waitFor({timeout: kUiWaitMs});
    assert.ok((await agentRow.innerText()).includes('ping'), 'the agent row does not list the ping plugin');
    await shot(page, 'agents');

    step('tokens page: an enrollment token is shown once');
    await go(page, '#/tokens', '#enrollment-tokens table');
    await page.locator('button', {hasText: 'Create enrollment token'}).click();
    const secret = page.locator('.secret-box .secret-value');
    await secret.waitFor({timeout: kUiWaitMs});
    assert.match(await secret.inputValue(), /^sse_/, 'the new enrollment token is not shown');
    await shot(page, 'tokens');

    step('create a ping test through the form');
    await go(page, '#/tests', '#tests-table table');
    await shot(page, 'tests-empty');
    await page.click('#new-test');
    await page.waitForSelector('#test-plugin', {timeout: kUiWaitMs});
    await page.selectOption('#test-plugin', 'ping');
    await page.waitForSelector('#test-targets', {timeout: kUiWaitMs});
    await page.fill('#test-name', kXssTestName);
    await page.fill('#test-targets', '127.0.0.1');
    await page.fill('[data-option="count"]', '1');
    await page.fill('#test-interval', '1s');
    await page.fill('#test-duration', '2m');
    const agentBox = page.locator('#test-agents .form-check', {hasText: agentName}).locator('input');
    await agentBox.check();
    // A client-side check first: no agents and no labels is refused before the request.
    await agentBox.uncheck();
    await page.click('#test-submit');
    await page.waitForSelector('#form-errors .api-error', {timeout: kUiWaitMs});
    await agentBox.check();
    await shot(page, 'create-form');
    await page.click('#test-submit');
    await page.waitForFunction(() => /^#\/tests\/t-/.test(window.location.hash), null, {timeout: kUiWaitMs});
    const testId = decodeURIComponent((await page.evaluate(() => window.location.hash)).slice('#/tests/'.length));

    step(`results page of ${testId}: the stored name is text`);
    await page.waitForSelector('.test-title', {timeout: kUiWaitMs});
    assert.equal(await page.locator('.test-title').innerText(), kXssTestName);
    assert.equal(await xssFired(page), false, 'markup in a test name ran');

    step('results arrive live, without a reload');
    await page.waitForFunction(() => Number(document.querySelector('#results-count')?.dataset.count) > 0, null, {timeout: kLiveWaitMs});
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    // The page refetches only when an event arrives (debounced), so: wait for a new event, then
    // for the table's result count to grow past what it was when the event came.
    const events0 = await dataNumber(page, '#live-status', 'events');
    await page.waitForFunction((n) => Number(document.querySelector('#live-status')?.dataset.events) > n, events0, {timeout: kLiveWaitMs});
    const count0 = await dataNumber(page, '#results-count', 'count');
    await page.waitForFunction((n) => Number(document.querySelector('#results-count')?.dataset.count) > n, count0, {timeout: kLiveWaitMs});
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page reloaded');

    step('the chart grows live too');
    await page.waitForFunction(() => Number(document.querySelector('#series-summary')?.dataset.samples) > 0, null, {timeout: kLiveWaitMs});
    const samples0 = await dataNumber(page, '#series-summary', 'samples');
    await page.waitForFunction((n) => Number(document.querySelector('#series-summary')?.dataset.samples) > n, samples0, {timeout: kLiveWaitMs});
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page reloaded');

    step('the chart has points; another metric; drag to zoom; reset');
    assert.ok(await chartPoints(page) > 0, 'the chart has no points');
    const metrics = await page.locator('#metric-select option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(metrics.includes('rtt_avg_ms'), `rtt_avg_ms is not among the metrics: ${metrics.join(', ')}`);
    await page.selectOption('#metric-select', 'packets_received');
    await page.waitForFunction(() => {
      const c = window.Chart.getChart(document.querySelector('#chart canvas'));
      return c && c.data.datasets.some((d) => d.data.some((p) => p.y === 1));
    }, null, {timeout: kUiWaitMs});
    await page.selectOption('#metric-select', 'rtt_avg_ms');
    await page.check('#band-toggle');
    await page.waitForFunction(() => window.Chart.getChart(document.querySelector('#chart canvas')).data.datasets.some((d) => d.band), null,
      {timeout: kUiWaitMs});
    await page.waitForFunction(() => Number(document.querySelector('#series-summary')?.dataset.samples) >= 3, null, {timeout: kLiveWaitMs});
    const box = await page.locator('#chart canvas').boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, y, {steps: 5});
    await page.mouse.up();
    await page.waitForFunction(() => !document.querySelector('#zoom-reset').disabled, null, {timeout: kUiWaitMs});
    await shot(page, 'results');
    await page.click('#zoom-reset');
    await page.waitForFunction(() => document.querySelector('#zoom-reset').disabled, null, {timeout: kUiWaitMs});
    await page.waitForFunction(() => Number(document.querySelector('#series-summary')?.dataset.points) > 0, null, {timeout: kUiWaitMs});
    await page.locator('#results-table .result-row').first().click();
    await page.waitForSelector('#document-view dl, #document-view table', {timeout: kUiWaitMs});
    const csv = await page.locator('#export-csv').getAttribute('href');
    assert.equal(csv, `/api/v1/results?test=${testId}&format=csv`);
    await shot(page, 'results-chart');
    await shot(page, 'results-phone', {phone: true});

    step('stop the test');
    await page.locator('.stop-test').click();
    await confirmModal(page);
    await page.waitForSelector('.page-title .badge[data-state="stopped"]', {timeout: kUiWaitMs});

    step('the tests list shows the name as text');
    await go(page, '#/tests', '#tests-table tbody tr');
    const nameCell = page.locator(`#tests-table tr[data-test="${testId}"] .test-name`);
    assert.equal(await nameCell.innerText(), kXssTestName);
    assert.equal(await page.locator('#tests-table img').count(), 0, 'a test name became an <img>');
    await shot(page, 'tests');

    step('create a viewer through the users page');
    const viewerPassword = randomBytes(12).toString('hex');
    await go(page, '#/users', '#users-table table');
    await page.fill('#new-username', kXssUserName);
    await page.fill('#new-password', viewerPassword);
    await page.selectOption('#new-role', 'viewer');
    await page.click('#create-user');
    const viewerRow = page.locator('#users-table tr', {hasText: kXssUserName});
    await viewerRow.waitFor({timeout: kUiWaitMs});
    assert.equal(await viewerRow.locator('.user-name').innerText(), kXssUserName);
    assert.equal(await xssFired(page), false, 'markup in a user name ran');
    await shot(page, 'users');
    await shot(page, 'users-phone', {phone: true});
    await logout(page);

    step('log in as the viewer: no operator buttons, the API refuses');
    await login(page, kXssUserName, viewerPassword);
    assert.equal(await page.locator('#nav-username').innerText(), kXssUserName);
    assert.equal(await xssFired(page), false, 'markup in the user name ran in the navbar');
    await go(page, '#/tests', '#tests-table tbody tr');
    for (const selector of ['#new-test', '.stop-test', '.delete-test', '.clone-test']) {
      assert.equal(await page.locator(selector).count(), 0, `a viewer sees ${selector}`);
    }
    await go(page, `#/tests/${testId}`, '.test-title');
    for (const selector of ['.stop-test', '.delete-test', '.clone-test']) {
      assert.equal(await page.locator(selector).count(), 0, `a viewer sees ${selector} on the results page`);
    }
    assert.equal(await page.locator('a[href="#/users"]').count(), 0, 'a viewer sees the users page link');
    allowForbidden = true;
    const status = await page.evaluate(async (agent) => {
      const session = await (await fetch('/api/v1/session')).json();
      const r = await fetch('/api/v1/tests', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token},
        body: JSON.stringify({plugin: 'ping', targets: ['127.0.0.1'], agents: [agent], interval_s: 1, duration_s: 10})});
      return r.status;
    }, (await page.evaluate(() => fetch('/api/v1/agents').then((r) => r.json()))).agents[0].id);
    assert.equal(status, 403, 'a viewer could create a test');
    await page.waitForTimeout(200);
    allowForbidden = false;
    await shot(page, 'viewer-tests');
    await logout(page);
    assert.equal(await xssFired(page), false);
    await context.close();
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, [], 'console errors, page errors or CSP violations');
  console.log('dashboard browser test passed');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  if (problems.length) console.error(`also seen:\n  ${problems.join('\n  ')}`);
  process.exit(1);
});
