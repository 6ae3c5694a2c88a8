/**
 * The dashboard's page logic, as browser JavaScript: polls
 * `GET /dashboard/data` every two seconds (the next poll starts when the
 * last one has ended, so a slow gateway is never asked twice at once),
 * then fills the tiles, charts and tables. It runs after `CHARTS_SCRIPT`.
 */
export const APP_SCRIPT = `
var POLL_MS = 2000;
var SERIES_SPAN_MS = 15 * 60000;

function formatUsd(value) {
  if (value === 0) return '$0';
  if (Math.abs(value) >= 1) return '$' + value.toFixed(2);
  if (Math.abs(value) < 1e-6) return '$' + value.toFixed(9);
  return '$' + value.toPrecision(4);
}
function formatMs(value) {
  if (value === null) return '\\u2013';
  if (value === 0) return '0 ms';
  if (value >= 1000) return (value / 1000).toFixed(2) + ' s';
  return (value < 10 ? value.toFixed(1) : value.toFixed(0)) + ' ms';
}
function formatUsdAxis(value) {
  if (value === 0) return '$0';
  return '$' + (value >= 1 ? value.toFixed(2) : String(Number(value.toPrecision(2))));
}
function formatRatio(value) {
  return value === null ? '\\u2013' : (value * 100).toFixed(1) + '%';
}
function formatCount(value) {
  return String(Math.round(value));
}
function formatTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

function setMetric(name, text) {
  var nodes = document.querySelectorAll('[data-metric="' + name + '"]');
  for (var i = 0; i < nodes.length; i++) nodes[i].textContent = text;
}

function cell(row, text, className) {
  var td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}
function pill(parent, text, kind) {
  var span = document.createElement('span');
  span.className = 'pill ' + kind;
  span.textContent = text;
  parent.appendChild(span);
}
function emptyRow(body, columns, text) {
  var row = document.createElement('tr');
  var td = cell(row, text, 'empty');
  td.colSpan = columns;
  body.appendChild(row);
}

function renderTiles(data) {
  var minute = data.lastMinute;
  var five = data.lastFiveMinutes;
  var totals = data.totals;
  setMetric('requests-per-minute', minute.requestsPerMinute.toFixed(1));
  setMetric('latency-p50', formatMs(five.latencyMs.p50));
  setMetric('latency-p95', formatMs(five.latencyMs.p95));
  setMetric('latency-p99', formatMs(five.latencyMs.p99));
  setMetric('cost-per-hour', formatUsd(five.costPerHourUsd));
  setMetric('cost-total', formatUsd(totals.costUsd));
  setMetric('validation-success', formatRatio(five.validationSuccessRatio));
  setMetric('fallback-rate', formatRatio(five.fallbackRate));
  setMetric('cache-hit-rate', formatRatio(five.cacheHitRate));
  setMetric('total-requests', formatCount(totals.requests));
  setMetric('total-errors', formatCount(totals.errors));
  setMetric('total-validation-success', formatRatio(totals.validationSuccessRatio));
  setMetric('total-fallbacks', formatCount(totals.fallbacks));
  setMetric('total-cache-hits', formatCount(totals.cacheHits));
  setMetric('started-at', formatTime(data.startedAtMs));
}

function column(points, key) {
  return points.map(function (p) { return [p.atMs, p[key]]; });
}

function renderCharts(data) {
  var points = data.series.points;
  var base = { endMs: data.generatedAtMs, spanMs: SERIES_SPAN_MS };
  var chart = function (id, spec) {
    drawLineChart(document.getElementById(id), Object.assign({}, base, spec));
  };
  chart('chart-requests', {
    series: [{ name: 'requests / min', color: '#0ea5e9', points: column(points, 'requestsPerMinute') }],
    format: function (v) { return v === 0 ? '0' : v.toFixed(v < 10 ? 1 : 0); },
  });
  chart('chart-latency', {
    series: [
      { name: 'p50', color: '#2563eb', points: column(points, 'p50Ms') },
      { name: 'p95', color: '#f59e0b', points: column(points, 'p95Ms') },
      { name: 'p99', color: '#dc2626', points: column(points, 'p99Ms') },
    ],
    threshold: 200,
    format: formatMs,
  });
  chart('chart-cost', {
    series: [{ name: 'USD / hour', color: '#16a34a', points: column(points, 'costPerHourUsd') }],
    format: formatUsdAxis,
  });
  chart('chart-quality', {
    series: [
      { name: 'validation success', color: '#16a34a', points: column(points, 'validationSuccessRatio') },
      { name: 'fallback', color: '#f97316', points: column(points, 'fallbackRate') },
      { name: 'cache hit', color: '#8b5cf6', points: column(points, 'cacheHitRate') },
    ],
    fixedMax: 1,
    format: function (v) { return (v * 100).toFixed(0) + '%'; },
  });
  drawBarChart(document.getElementById('chart-task-types'), data.taskTypes.map(function (t) {
    return {
      label: t.taskType,
      value: t.costUsd,
      text: formatUsd(t.costUsd) + ' \\u00b7 ' + t.requests + ' req',
    };
  }));
}

function renderBreakers(breakers) {
  var body = document.getElementById('breakers');
  clearNode(body);
  if (breakers === null) return emptyRow(body, 3, 'breaker store unreachable');
  if (breakers.length === 0) return emptyRow(body, 3, 'no deployments');
  breakers.forEach(function (b) {
    var row = document.createElement('tr');
    row.setAttribute('data-deployment', b.deploymentId);
    cell(row, b.deploymentId);
    pill(cell(row, ''), b.state.replace('_', '-'), b.state);
    var detail = b.state === 'open' && b.openUntilMs
      ? 'probe after ' + formatTime(b.openUntilMs)
      : b.consecutiveFailures > 0 ? b.consecutiveFailures + ' failures in a row' : '';
    cell(row, detail);
    body.appendChild(row);
  });
}

function renderPolicies(policies) {
  var body = document.getElementById('policies');
  clearNode(body);
  var changes = document.getElementById('policy-changes');
  clearNode(changes);
  if (policies === null) return emptyRow(body, 3, 'no policy engine');
  var add = function (name, subject, active, text) {
    var row = document.createElement('tr');
    row.setAttribute('data-policy', name);
    cell(row, name + ': ' + subject);
    pill(cell(row, ''), active ? 'active' : 'ok', active ? 'bad' : 'ok');
    cell(row, text);
    body.appendChild(row);
  };
  policies.latency.tiers.forEach(function (t) {
    add('latency', t.tier, t.degraded, 'p95 ' + formatMs(t.quantileMs) + ' of ' + t.thresholdMs +
      ' ms, ' + t.samples + ' samples');
  });
  policies.schema.models.forEach(function (m) {
    add('schema', m.model, m.paused, formatRatio(m.failureRate) + ' failing of ' + m.samples);
  });
  policies.costCap.deployments.forEach(function (d) {
    add('cost cap', d.deploymentId, d.openUntilMs !== undefined, d.breaches + ' breaches');
  });
  if (!body.firstChild) emptyRow(body, 3, 'nothing steered yet');
  policies.recentChanges.forEach(function (c) {
    var li = document.createElement('li');
    li.textContent = formatTime(c.atMs) + ' ' + c.policy + ' ' + c.action + ' ' + c.subject +
      ': ' + c.reason;
    changes.appendChild(li);
  });
}

function render(data) {
  renderTiles(data);
  renderCharts(data);
  renderBreakers(data.breakers);
  renderPolicies(data.policies);
  document.body.setAttribute('data-generated-at', String(data.generatedAtMs));
}

function setStatus(text, offline) {
  var status = document.getElementById('status');
  status.textContent = text;
  status.className = offline ? 'status offline' : 'status';
}

function poll() {
  fetch('dashboard/data', { cache: 'no-store', headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (data) {
      render(data);
      setStatus('updated ' + formatTime(data.generatedAtMs) + ' \\u00b7 every ' + POLL_MS / 1000 + ' s', false);
    })
    .catch(function (error) {
      setStatus('offline (' + error.message + '), retrying', true);
    })
    .then(function () {
      setTimeout(poll, POLL_MS);
    });
}

poll();
`;
