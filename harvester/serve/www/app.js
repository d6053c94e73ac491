// The operator page: talks to the daemon's JSON API with the token the
// operator logged in with (kept in this tab's session storage only).
// Every value from the server is inserted as text, never as markup.
'use strict';

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('govharvest-token') || '';
let who = null;
let selected = null;
let pollTimer = null;

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + token } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const msg = data && data.error ? data.error : 'HTTP ' + res.status;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function fmtTime(unix) {
  if (!unix) return '';
  return new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

function datasetsText(c) {
  return [c.datasets_new, c.datasets_updated, c.datasets_unchanged,
          c.datasets_deleted, c.datasets_rejected].join(' / ');
}

async function login(t) {
  token = t;
  try {
    who = await api('GET', '/api/whoami');
  } catch (e) {
    $('login-error').textContent = 'Login failed: ' + e.message;
    token = '';
    return;
  }
  sessionStorage.setItem('govharvest-token', token);
  $('login-error').textContent = '';
  $('login-panel').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  $('scope').textContent = who.admin ? 'admin' : 'state ' + who.scope;
  for (const e of document.querySelectorAll('.admin-only'))
    e.classList.toggle('hide', !who.admin);
  await refresh();
}

function logout() {
  sessionStorage.removeItem('govharvest-token');
  token = '';
  who = null;
  $('main').hidden = true;
  $('login-panel').hidden = false;
  $('logout').hidden = true;
  $('scope').textContent = '';
}

async function refresh() {
  await Promise.all([loadSources(), loadVolumes(), loadQuality()]);
  if (selected) await loadRuns(selected);
}

async function loadSources() {
  let data;
  try {
    data = await api('GET', '/api/sources');
  } catch (e) {
    $('sources-error').textContent = e.message;
    return;
  }
  $('sources-error').textContent = '';
  const body = $('sources').querySelector('tbody');
  body.replaceChildren();
  let busy = false;
  for (const s of data.sources) {
    const tr = el('tr');
    tr.dataset.source = s.name;
    const r = s.last_run;
    tr.append(el('td', s.name), el('td', s.state), el('td', s.url, 'url'),
              el('td', s.schedule + ' (' + s.schedule_from + ')'),
              el('td', s.activity, 'activity'),
              el('td', r ? r.status + ' ' + fmtTime(r.started_at) : 'never',
                 r ? 'last-status status-' + r.status : 'last-status'),
              el('td', r ? r.counts.pages_fetched + r.counts.pages_not_modified
                         : '', 'pages'),
              el('td', r ? datasetsText(r.counts) : '', 'datasets'));
    const actions = el('td');
    const run = el('button', 'Run now');
    run.type = 'button';
    run.className = 'run';
    run.disabled = s.activity !== 'idle';
    run.addEventListener('click', () => trigger(s.name));
    const runs = el('button', 'Runs');
    runs.type = 'button';
    runs.className = 'show-runs';
    runs.addEventListener('click', () => loadRuns(s.name));
    actions.append(run, runs);
    tr.append(actions);
    body.append(tr);
    if (s.activity !== 'idle') busy = true;
  }
  if (!data.sources.length) {
    const tr = el('tr');
    const td = el('td', 'No sources yet: register an endpoint below.');
    td.colSpan = 9;
    tr.append(td);
    body.append(tr);
  }
  clearTimeout(pollTimer);
  if (busy) pollTimer = setTimeout(refresh, 1000);
}

async function trigger(name) {
  try {
    await api('POST', '/api/sources/' + encodeURIComponent(name) + '/run');
  } catch (e) {
    $('sources-error').textContent = e.message;
  }
  selected = name;
  await refresh();
}

async function loadRuns(name) {
  selected = name;
  let data;
  try {
    data = await api('GET', '/api/sources/' + encodeURIComponent(name) +
                     '/runs?limit=20');
  } catch (e) {
    $('sources-error').textContent = e.message;
    return;
  }
  $('runs-panel').hidden = false;
  $('runs-source').textContent = name;
  const body = $('runs').querySelector('tbody');
  body.replaceChildren();
  for (const r of data.runs) {
    const tr = el('tr');
    tr.dataset.run = r.id;
    const c = r.counts;
    tr.append(el('td', r.id), el('td', r.status, 'status-' + r.status),
              el('td', fmtTime(r.started_at)), el('td', c.seconds.toFixed(2)),
              el('td', c.pages_fetched + ' fetched, ' + c.pages_not_modified +
                       ' not modified, ' + c.pages_failed + ' failed'),
              el('td', datasetsText(c), 'datasets'),
              el('td', r.message || ''));
    tr.addEventListener('click', () => showRun(r.id));
    body.append(tr);
  }
}

// A run's view: its counts, its error, and the findings of the datasets
// it wrote (counts by severity and the rules found most).
async function showRun(id) {
  const d = $('run-detail');
  let r;
  try {
    r = await api('GET', '/api/runs/' + encodeURIComponent(id));
  } catch (e) {
    d.replaceChildren(el('p', e.message, 'error'));
    return;
  }
  d.replaceChildren();
  d.append(el('h3', 'Run ' + r.id + ': ' + r.status));
  const c = r.counts;
  const dl = el('dl');
  for (const [k, v] of Object.entries(c)) {
    dl.append(el('dt', k.replace(/_/g, ' ')), el('dd', v));
  }
  d.append(dl);
  d.append(el('p', r.message ? 'Error: ' + r.message : 'No errors.',
              r.message ? 'error run-error' : 'run-error'));
  const f = r.findings;
  if (!f) return;
  const s = f.by_severity;
  d.append(el('p', f.datasets + ' datasets written, ' + f.with_violations +
              ' with violations, ' + f.with_warnings + ' with warnings; ' +
              s.violation + ' violations, ' + s.warning + ' warnings, ' +
              s.info + ' info findings.', 'run-findings'));
  if (f.top_rules.length) {
    const ul = el('ul');
    ul.id = 'run-rules';
    for (const x of f.top_rules) {
      const li = el('li', x.severity + ' [' + x.rule + '] ' + x.findings +
                    ' findings in ' + x.datasets + ' datasets',
                    'finding-' + x.severity);
      li.dataset.rule = x.rule;
      ul.append(li);
    }
    d.append(ul);
  }
  const more = el('button', 'Datasets with findings');
  more.type = 'button';
  more.id = 'show-findings';
  more.addEventListener('click', () => loadFindings(r.source, 1));
  const list = el('div');
  list.id = 'findings-list';
  d.append(more, list);
}

const FINDINGS_PAGE = 10;

// One page of a source's datasets with their findings, worst first.
async function loadFindings(name, pageNo) {
  const box = $('findings-list');
  let data;
  try {
    data = await api('GET', '/api/sources/' + encodeURIComponent(name) +
                     '/findings?page=' + pageNo + '&page_size=' +
                     FINDINGS_PAGE);
  } catch (e) {
    box.replaceChildren(el('p', e.message, 'error'));
    return;
  }
  box.replaceChildren();
  const pages = Math.max(1, Math.ceil(data.total / data.page_size));
  box.append(el('p', data.total + ' datasets with findings, page ' +
                data.page + ' of ' + pages + '.', 'findings-total'));
  const table = el('table');
  const head = el('tr');
  for (const h of ['dataset', 'violations', 'warnings', 'findings'])
    head.append(el('th', h));
  table.append(head);
  for (const ds of data.datasets) {
    const tr = el('tr');
    tr.dataset.key = ds.key;
    const list = el('ul');
    for (const x of ds.findings)
      list.append(el('li', x.severity + ' [' + x.rule + '] ' + x.message,
                     'finding-' + x.severity));
    const cell = el('td');
    cell.append(list);
    tr.append(el('td', ds.uri || ds.identifier || ds.key, 'url'),
              el('td', ds.violations), el('td', ds.warnings), cell);
    table.append(tr);
  }
  box.append(table);
  const nav = el('div', undefined, 'buttons');
  if (data.page > 1) {
    const prev = el('button', 'Previous');
    prev.type = 'button';
    prev.className = 'findings-prev';
    prev.addEventListener('click', () => loadFindings(name, data.page - 1));
    nav.append(prev);
  }
  if (data.page < pages) {
    const next = el('button', 'Next');
    next.type = 'button';
    next.className = 'findings-next';
    next.addEventListener('click', () => loadFindings(name, data.page + 1));
    nav.append(next);
  }
  box.append(nav);
}

// The quality report of what the token may see, one row per source and
// reporting state.
async function loadQuality() {
  let data;
  try {
    data = await api('GET', '/api/reports/quality');
  } catch (e) {
    $('quality-error').textContent = e.message;
    return;
  }
  $('quality-error').textContent = '';
  const body = $('quality').querySelector('tbody');
  body.replaceChildren();
  for (const t of data.totals) {
    const rules = data.rules.filter((x) => x.source === t.source &&
                                           x.state === t.state);
    const tr = el('tr');
    tr.dataset.source = t.source;
    tr.append(el('td', t.source), el('td', t.state),
              el('td', t.datasets, 'q-datasets'),
              el('td', t.with_violations, 'q-violations'),
              el('td', t.with_warnings, 'q-warnings'),
              el('td', rules.slice(0, 3).map((x) => x.rule + ' (' +
                                             x.findings + ')').join(', ')));
    body.append(tr);
  }
  if (!data.totals.length) {
    const tr = el('tr');
    const td = el('td', 'No findings yet.');
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
  }
}

function registerBody() {
  const body = { name: $('reg-name').value.trim(),
                 url: $('reg-url').value.trim() };
  if ($('reg-format').value) body.format = $('reg-format').value;
  if (who && who.admin && $('reg-state').value.trim())
    body.state = $('reg-state').value.trim();
  if ($('reg-schedule').value.trim())
    body.schedule = $('reg-schedule').value.trim();
  return body;
}

async function check() {
  const out = $('check-result');
  out.replaceChildren(el('p', 'Checking…'));
  $('save').disabled = true;
  $('register-error').textContent = '';
  const b = registerBody();
  let r;
  try {
    r = await api('POST', '/api/check', b.format ? { url: b.url,
                  format: b.format } : { url: b.url });
  } catch (e) {
    out.replaceChildren();
    $('register-error').textContent = e.message;
    return;
  }
  out.replaceChildren();
  if (!r.ok) {
    out.append(el('p', 'Check failed: ' + r.error, 'error check-failed'));
    return;
  }
  out.append(el('p', 'Format ' + r.syntax + ', ' + r.datasets +
                ' datasets and ' + r.triples + ' triples on the first page; ' +
                (r.paged ? 'paged (next: ' + r.next_page + ')'
                         : 'a single page') + '.', 'check-ok'));
  if (r.warning) out.append(el('p', 'Warning: ' + r.warning));
  for (const x of r.rejected) out.append(el('p', 'Rejected ' + x.subject +
                                            ': ' + x.reason, 'error'));
  const ul = el('ul');
  for (const s of r.sample) {
    const li = el('li', (s.uri || s.key) + ' — ' + s.distributions +
                  ' distributions');
    if (s.findings && s.findings.length) {
      const f = el('ul');
      for (const x of s.findings)
        f.append(el('li', x.severity + ' [' + x.rule + '] ' + x.message,
                    'finding-' + x.severity));
      li.append(f);
    }
    ul.append(li);
  }
  out.append(ul);
  $('save').disabled = false;
}

async function save(ev) {
  ev.preventDefault();
  try {
    await api('POST', '/api/sources', registerBody());
  } catch (e) {
    $('register-error').textContent = e.message;
    return;
  }
  $('register-error').textContent = '';
  $('check-result').replaceChildren(el('p', 'Saved.', 'saved'));
  $('save').disabled = true;
  $('register').reset();
  await refresh();
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function loadVolumes() {
  let data;
  try {
    data = await api('GET', '/api/reports/volumes');
  } catch (e) {
    $('volumes').textContent = e.message;
    return;
  }
  const box = $('volumes');
  box.replaceChildren();
  if (!data.states.length) {
    box.append(el('p', 'No runs yet.'));
    return;
  }
  // One group of bars per state: pages fetched and datasets by change.
  const keys = ['pages_fetched', 'pages_not_modified', 'datasets_new',
                'datasets_updated', 'datasets_unchanged', 'datasets_deleted'];
  const colors = ['#004b76', '#6a9fc1', '#2e7d32', '#f9a825', '#9e9e9e',
                  '#c62828'];
  let max = 1;
  for (const s of data.states)
    for (const k of keys) max = Math.max(max, s.counts[k]);
  const barW = 14, gap = 24, h = 160, top = 20, left = 40;
  const width = left + data.states.length * (keys.length * barW + gap) + 160;
  const chart = svg('svg', { width, height: h + top + 40, role: 'img',
                             'aria-label': 'volumes by state' });
  chart.append(svg('text', { x: 0, y: 12 }, 'max ' + max));
  data.states.forEach((s, i) => {
    const x0 = left + i * (keys.length * barW + gap);
    keys.forEach((k, j) => {
      const v = s.counts[k];
      const bh = Math.round(v / max * h);
      const rect = svg('rect', { x: x0 + j * barW, y: top + h - bh,
                                 width: barW - 2, height: bh,
                                 fill: colors[j], 'data-key': k,
                                 'data-state': s.state, 'data-value': v });
      rect.append(svg('title', {}, s.state + ' ' + k + ': ' + v));
      chart.append(rect);
    });
    chart.append(svg('text', { x: x0, y: top + h + 16 }, s.state));
  });
  const lx = left + data.states.length * (keys.length * barW + gap);
  keys.forEach((k, j) => {
    chart.append(svg('rect', { x: lx, y: top + j * 16, width: 10,
                               height: 10, fill: colors[j] }));
    chart.append(svg('text', { x: lx + 14, y: top + j * 16 + 9 },
                     k.replace(/_/g, ' ')));
  });
  box.append(chart);
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    login($('token').value.trim());
  });
  $('logout').addEventListener('click', logout);
  $('check').addEventListener('click', check);
  $('register').addEventListener('submit', save);
  for (const id of ['reg-url', 'reg-format'])
    $(id).addEventListener('change', () => { $('save').disabled = true; });
  if (token) login(token);
});
