/**
 * The dashboard's chart drawing, as browser JavaScript: SVG built with DOM
 * calls, no library. A line chart over a fixed time span (so it scrolls as
 * time passes) and a horizontal bar chart. Text goes in with `textContent`
 * only, so task types and deployment names cannot inject markup.
 *
 * Kept as a string because the page needs no build step; it runs in the
 * browser test (`test/dashboard-browser.test.ts`), which is what checks it.
 */
export const CHARTS_SCRIPT = `
'use strict';
var SVG_NS = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs, parent) {
  var node = document.createElementNS(SVG_NS, name);
  for (var key in attrs) node.setAttribute(key, String(attrs[key]));
  if (parent) parent.appendChild(node);
  return node;
}

function svgText(parent, attrs, text) {
  var node = svgEl('text', attrs, parent);
  node.textContent = text;
  return node;
}

function clearNode(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** The smallest of 1, 2, 4, 6 or 8 times a power of ten at or above value: quarters stay round. */
function niceCeil(value) {
  if (!(value > 0)) return 1;
  var power = Math.pow(10, Math.floor(Math.log10(value)));
  var steps = [1, 2, 4, 6, 8, 10];
  for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
  return 10 * power;
}

function clockLabel(ms) {
  var date = new Date(ms);
  var hh = String(date.getHours()).padStart(2, '0');
  var mm = String(date.getMinutes()).padStart(2, '0');
  return hh + ':' + mm;
}

/**
 * Draws series of [atMs, value] over the spanMs before endMs. A null value
 * breaks the line. spec: { endMs, spanMs, series: [{ name, color, points }],
 * format(value), threshold?, fixedMax? }.
 */
function drawLineChart(svg, spec) {
  var width = svg.clientWidth || 600;
  var height = svg.clientHeight || 200;
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  clearNode(svg);
  var pad = { left: 64, right: 12, top: 24, bottom: 22 };
  var plotW = width - pad.left - pad.right;
  var plotH = height - pad.top - pad.bottom;
  var startMs = spec.endMs - spec.spanMs;

  var max = 0;
  spec.series.forEach(function (s) {
    s.points.forEach(function (p) {
      if (p[1] !== null && p[1] > max) max = p[1];
    });
  });
  if (spec.threshold) max = Math.max(max, spec.threshold * 1.1);
  max = spec.fixedMax || niceCeil(max);
  var x = function (ms) { return pad.left + ((ms - startMs) / spec.spanMs) * plotW; };
  var y = function (v) { return pad.top + (1 - v / max) * plotH; };

  for (var i = 0; i <= 4; i++) {
    var v = (max * i) / 4;
    svgEl('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), stroke: '#e2e7ee' }, svg);
    svgText(svg, { x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, spec.format(v));
  }
  var tickMs = 5 * 60000;
  for (var t = Math.ceil(startMs / tickMs) * tickMs; t <= spec.endMs; t += tickMs) {
    svgEl('line', { x1: x(t), x2: x(t), y1: pad.top, y2: pad.top + plotH, stroke: '#eef1f5' }, svg);
    // A label too near the right edge would be cut off.
    if (x(t) > width - 18) continue;
    svgText(svg, { x: x(t), y: height - 6, 'text-anchor': 'middle' }, clockLabel(t));
  }
  if (spec.threshold) {
    svgEl('line', {
      x1: pad.left, x2: width - pad.right, y1: y(spec.threshold), y2: y(spec.threshold),
      stroke: '#dc2626', 'stroke-dasharray': '4 4', 'class': 'threshold',
    }, svg);
  }

  var drawn = 0;
  var legendX = pad.left;
  spec.series.forEach(function (s) {
    var runs = [[]];
    s.points.forEach(function (p) {
      if (p[0] < startMs) return;
      if (p[1] === null) { runs.push([]); return; }
      runs[runs.length - 1].push(x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1));
      drawn++;
    });
    runs.forEach(function (run) {
      if (run.length === 0) return;
      if (run.length === 1) {
        var xy = run[0].split(',');
        svgEl('circle', { cx: xy[0], cy: xy[1], r: 2.5, fill: s.color, 'class': 'series' }, svg);
        return;
      }
      svgEl('polyline', {
        points: run.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2,
        'stroke-linejoin': 'round', 'class': 'series', 'data-series': s.name,
      }, svg);
    });
    svgEl('rect', { x: legendX, y: 6, width: 10, height: 10, rx: 2, fill: s.color }, svg);
    svgText(svg, { x: legendX + 14, y: 15, 'class': 'value' }, s.name);
    legendX += 24 + s.name.length * 7;
  });
  svg.setAttribute('data-points', String(drawn));
  if (drawn === 0) {
    svgText(svg, { x: pad.left + plotW / 2, y: pad.top + plotH / 2, 'text-anchor': 'middle' },
      'no requests yet');
  }
}

/** Horizontal bars: rows of { label, value, text }, longest bar for the largest value. */
function drawBarChart(svg, rows) {
  var width = svg.clientWidth || 400;
  var rowH = 26;
  var height = Math.max(rows.length, 1) * rowH + 4;
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('height', String(height));
  clearNode(svg);
  if (rows.length === 0) {
    svgText(svg, { x: 4, y: 16 }, 'no spend yet');
    return;
  }
  var labelW = 120;
  var textW = 150;
  var barMax = Math.max(width - labelW - textW, 40);
  var max = rows.reduce(function (m, r) { return Math.max(m, r.value); }, 0) || 1;
  rows.forEach(function (row, i) {
    var top = i * rowH + 4;
    var g = svgEl('g', { 'class': 'bar-row', 'data-label': row.label }, svg);
    svgText(g, { x: 0, y: top + 14, 'class': 'value' }, row.label);
    svgEl('rect', {
      x: labelW, y: top + 3, height: 16, rx: 3, fill: '#2563eb',
      width: Math.max((row.value / max) * barMax, 1).toFixed(1),
    }, g);
    svgText(g, { x: labelW + barMax + 8, y: top + 14, 'class': 'value bar-text' }, row.text);
  });
}
`;
