// The operator page in a real headless Chromium (Debian's, driven by
// playwright-core): log in with a state token, check and register an
// endpoint served on loopback, start a run and see its counts, the run
// list, a run's errors and findings, the source's datasets with their
// findings, the quality report and the volume chart. run.sh starts the
// daemon and the endpoint and passes them in the environment:
//   GH_BASE    daemon base URL (http://127.0.0.1:PORT)
//   GH_TOKEN   a state token, GH_STATE its state
//   GH_SOURCE  first page of the loopback catalog
//   GH_DATASETS  datasets in that catalog (all pages)
//   GH_SHOTS   optional directory for screenshots
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run tests/browser/run.sh)`);
  return v;
};
const base = env('GH_BASE');
const token = env('GH_TOKEN');
const state = env('GH_STATE');
const source = env('GH_SOURCE');
const datasets = Number(env('GH_DATASETS'));
const shots = process.env.GH_SHOTS;

let passed = 0;
let failed = 0;
async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e.message}`);
    throw e;
  }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu',
         '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage();
// Nothing but the daemon may be asked for anything.
const foreign = [];
page.on('request', (req) => {
  if (!req.url().startsWith(base)) foreign.push(req.url());
});
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

try {
  await step('a wrong token is refused', async () => {
    await page.goto(base + '/');
    await page.fill('#token', 'ghv_' + '0'.repeat(64));
    await page.click('#login');
    await page.waitForFunction(() =>
      document.getElementById('login-error').textContent.length > 0);
    assert.match(await page.textContent('#login-error'), /not known/);
    assert.equal(await page.isVisible('#main'), false);
  });

  await step('the state token logs in', async () => {
    await page.fill('#token', token);
    await page.click('#login');
    await page.waitForSelector('#main', { state: 'visible' });
    assert.equal(await page.textContent('#scope'), 'state ' + state);
    assert.equal(await page.isVisible('#reg-state'), false);
  });

  await step('a check shows format, paging and datasets before saving',
    async () => {
      assert.equal(await page.isDisabled('#save'), true);
      await page.fill('#reg-name', 'browser-src');
      await page.fill('#reg-url', source);
      await page.click('#check');
      await page.waitForSelector('#check-result .check-ok');
      const text = await page.textContent('#check-result .check-ok');
      assert.match(text, /Format turtle/);
      assert.match(text, /paged \(next: .*page=2\)/);
      assert.equal(await page.isDisabled('#save'), false);
      if (shots) await page.screenshot({ path: path.join(shots, 'check.png'),
                                         fullPage: true });
    });

  await step('saving lists the source as never run', async () => {
    await page.click('#save');
    const row = page.locator('tr[data-source="browser-src"]');
    await row.waitFor();
    assert.equal(await row.locator('.last-status').textContent(), 'never');
    assert.equal(await row.locator('td').nth(1).textContent(), state);
  });

  await step('a triggered run shows its counts', async () => {
    const row = page.locator('tr[data-source="browser-src"]');
    await row.locator('button.run').click();
    await page.waitForFunction(() => {
      const r = document.querySelector('tr[data-source="browser-src"]');
      return r && /^ok /.test(r.querySelector('.last-status').textContent);
    }, null, { timeout: 30000 });
    assert.equal(await row.locator('.datasets').textContent(),
                 `${datasets} / 0 / 0 / 0 / 0`);
    assert.equal(await row.locator('.pages').textContent(), '2');
  });

  await step('the run list and a run\'s details show the counts', async () => {
    await page.locator('tr[data-source="browser-src"] button.show-runs')
      .click();
    const run = page.locator('#runs tbody tr').first();
    await run.waitFor();
    assert.equal(await run.locator('td').nth(1).textContent(), 'ok');
    assert.match(await run.locator('td').nth(4).textContent(),
                 /^2 fetched, 0 not modified, 0 failed$/);
    await run.click();
    await page.waitForSelector('#run-detail h3');
    assert.match(await page.textContent('#run-detail .run-error'),
                 /^No errors\.$/);
  });

  await step('a run\'s view shows the findings of the datasets it wrote',
    async () => {
      // The loopback catalog's datasets have a title and nothing else, so
      // the check stage finds what DCAT-AP.de requires and they lack.
      const summary = await page.textContent('#run-detail .run-findings');
      const m = summary.match(/^(\d+) datasets written, (\d+) with violations/);
      assert.ok(m, summary);
      assert.equal(Number(m[1]), datasets);
      assert.ok(Number(m[2]) > 0, summary);
      const rules = page.locator('#run-rules li');
      assert.ok(await rules.count() > 0);
      assert.match(await rules.first().getAttribute('data-rule'),
                   /^(check|map)\./);
      assert.match(await rules.first().textContent(),
                   /^violation \[.+\] \d+ findings in \d+ datasets$/);
    });

  await step('the source\'s datasets are listed with their findings, paged',
    async () => {
      await page.click('#show-findings');
      await page.waitForSelector('#findings-list .findings-total');
      assert.match(await page.textContent('#findings-list .findings-total'),
                   new RegExp(`^${datasets} datasets with findings, ` +
                              'page 1 of 1\\.$'));
      const rows = page.locator('#findings-list tr[data-key]');
      assert.equal(await rows.count(), datasets);
      const first = rows.first();
      assert.match(await first.locator('td').first().textContent(),
                   /^http:\/\/daten\.example\/ds\/\d$/);
      assert.ok(await first.locator('li.finding-violation').count() > 0);
      if (shots) await page.screenshot({ path: path.join(shots, 'run.png'),
                                         fullPage: true });
    });

  await step('the quality report shows the state\'s source', async () => {
    const row = page.locator('#quality tr[data-source="browser-src"]');
    await page.reload();
    await page.waitForSelector('#main', { state: 'visible' });
    await row.waitFor();
    assert.equal(await row.locator('td').nth(1).textContent(), state);
    assert.equal(await row.locator('.q-datasets').textContent(),
                 String(datasets));
    assert.ok(Number(await row.locator('.q-violations').textContent()) > 0);
  });

  await step('volumes are drawn as a chart', async () => {
    await page.reload();
    await page.waitForSelector('#main', { state: 'visible' });
    const bar = page.locator(
      `#volumes svg rect[data-state="${state}"][data-key="datasets_new"]`);
    await bar.waitFor();
    assert.equal(await bar.getAttribute('data-value'), String(datasets));
    assert.ok(Number(await bar.getAttribute('height')) > 0);
    if (shots) await page.screenshot({ path: path.join(shots, 'page.png'),
                                       fullPage: true });
  });

  await step('no request left the daemon and the page logged no error',
    async () => {
      assert.deepEqual(foreign, []);
      assert.deepEqual(consoleErrors.filter((t) => !/401/.test(t)), []);
    });
} catch (e) {
  // Reported by step(); the summary line below carries the count.
} finally {
  await browser.close();
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
