/** The dashboard page's style sheet (inlined; its hash is in the page's CSP). */
export const DASHBOARD_CSS = `
:root {
  --bg: #f4f6f9; --card: #ffffff; --ink: #1c2430; --muted: #6b7686; --line: #e2e7ee;
  --ok: #16a34a; --warn: #d97706; --bad: #dc2626; --accent: #2563eb;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
header {
  display: flex; align-items: baseline; gap: 16px; padding: 14px 24px;
  background: #111827; color: #f9fafb;
}
header h1 { margin: 0; font-size: 18px; font-weight: 600; }
header .status { margin-left: auto; font-size: 13px; color: #cbd5e1; }
header .status.offline { color: #fca5a5; }
main { padding: 16px 24px 24px; display: grid; gap: 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(128px, 1fr)); gap: 12px; }
.tile, .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
.tile { padding: 10px 14px; }
.tile .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.tile .value { font-size: 24px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
.tile .sub { font-size: 12px; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
.card { padding: 12px 14px; min-width: 0; }
.card h2 { margin: 0 0 6px; font-size: 14px; font-weight: 600; }
.card h3 { margin: 10px 0 4px; font-size: 12px; color: var(--muted); text-transform: uppercase; }
svg.chart { display: block; width: 100%; height: 200px; }
svg.bars { display: block; width: 100%; }
svg text { font-size: 11px; fill: var(--muted); }
svg text.value { fill: var(--ink); }
.lower { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); }
th { font-weight: 500; color: var(--muted); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; }
.pill.closed, .pill.ok { background: var(--ok); }
.pill.half_open, .pill.warn { background: var(--warn); }
.pill.open, .pill.bad { background: var(--bad); }
.empty { color: var(--muted); font-style: italic; }
ul.changes { margin: 0; padding-left: 18px; font-size: 13px; }
footer { padding: 0 24px 20px; color: var(--muted); font-size: 13px; }
footer span { margin-right: 18px; font-variant-numeric: tabular-nums; }
`;
