extension WebAssets {
    /// The pages' one stylesheet: mobile first (360 px), system fonts only, visible focus.
    static let stylesheet = WebAsset(name: "app", ext: "css", contentType: "text/css; charset=utf-8", text: #"""
:root { --ink: #1d2430; --muted: #5b6472; --line: #d7dce3; --bg: #f6f7f9; --card: #fff; --brand: #a3195b; --brand-dark: #7d1245;
  --ok: #1f7a3a; --track: #2f6fb5; --late: #b4531a; --pause: #6b7280; --focus: #ffbf47; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--brand-dark); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--ink); }
.skip { position: absolute; left: -9999px; top: 0; background: var(--focus); color: var(--ink); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
header.top { background: var(--brand); color: #fff; padding: .5rem .75rem; }
header.top a { color: #fff; }
.brand { font-weight: 700; text-decoration: none; display: inline-block; padding: .25rem 0; }
nav.main ul { list-style: none; margin: .25rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem; }
nav.main a { display: block; padding: .4rem .6rem; border-radius: .3rem; text-decoration: none; background: rgba(255,255,255,.12); }
nav.main a[aria-current="page"] { background: #fff; color: var(--brand-dark); font-weight: 700; }
.account { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-top: .4rem; font-size: .9rem; }
.account form { margin: 0; }
.account button { background: transparent; color: #fff; border: 1px solid rgba(255,255,255,.7); padding: .25rem .6rem; border-radius: .3rem; font: inherit; cursor: pointer; }
main { padding: .75rem; max-width: 70rem; margin: 0 auto; }
h1 { font-size: 1.35rem; margin: .5rem 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .75rem; margin-bottom: .75rem; }
.notice { background: #e8f4ec; border: 1px solid #9cc9aa; padding: .5rem .75rem; border-radius: .4rem; }
.errors { background: #fdecea; border: 1px solid #e0a39b; padding: .5rem .75rem; border-radius: .4rem; }
.errors p { margin: 0 0 .25rem; font-weight: 700; } .errors p.detail { font-weight: 400; }
.field-error { color: #a3261a; font-size: .9rem; display: block; }
form.stack label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
input, select, textarea { font: inherit; padding: .5rem; border: 1px solid #8a93a1; border-radius: .3rem; width: 100%; max-width: 28rem; background: #fff; color: var(--ink); }
input[type="checkbox"], input[type="radio"] { width: auto; }
button, .button { font: inherit; background: var(--brand); color: #fff; border: 0; border-radius: .3rem; padding: .55rem 1rem; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--brand-dark); border: 1px solid var(--brand-dark); }
.actions { margin-top: 1rem; display: flex; flex-wrap: wrap; gap: .5rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; }
form.filters .field { display: flex; flex-direction: column; }
form.filters label { font-size: .9rem; font-weight: 600; }
form.filters select, form.filters input { width: auto; min-width: 7rem; }
.switch { display: flex; flex-wrap: wrap; gap: .25rem; margin: .5rem 0; }
.switch a { padding: .3rem .6rem; border: 1px solid var(--line); border-radius: 1rem; text-decoration: none; background: #fff; }
.switch a[aria-current="true"] { background: var(--brand-dark); color: #fff; border-color: var(--brand-dark); }
.breadcrumb ol { list-style: none; padding: 0; margin: 0 0 .5rem; display: flex; flex-wrap: wrap; gap: .25rem; font-size: .95rem; }
.breadcrumb li + li::before { content: "›"; margin-right: .25rem; color: var(--muted); }
.headline { font-size: 1.15rem; font-weight: 700; margin: .25rem 0 .75rem; }
.indicators { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
.indicator h3 { font-size: 1rem; margin: 0 0 .25rem; }
.indicator .code { color: var(--muted); font-weight: 400; }
.figures { display: flex; flex-wrap: wrap; gap: .25rem 1rem; font-size: .95rem; margin: .25rem 0; }
.figures dt { color: var(--muted); }
.figures dd { margin: 0 .5rem 0 0; font-weight: 600; }
.figures div { display: flex; gap: .3rem; }
svg.bar { width: 100%; height: .6rem; display: block; }
svg.bar .track { fill: #e6e9ee; }
.status { display: inline-block; font-size: .85rem; padding: .05rem .5rem; border-radius: 1rem; color: #fff; white-space: nowrap; }
.status.completed { background: var(--ok); } .status.on_track { background: var(--track); } .status.behind { background: var(--late); }
.status.suspended, .status.no_target { background: var(--pause); }
svg .completed { fill: var(--ok); } svg .on_track { fill: var(--track); } svg .behind { fill: var(--late); } svg .suspended, svg .no_target { fill: var(--pause); }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .3rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f4; white-space: nowrap; }
td .status { white-space: normal; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th a { text-decoration: none; }
svg.chart { width: 100%; max-width: 40rem; height: auto; display: block; background: #fff; }
svg.chart text { font-size: 13px; fill: var(--ink); }
svg.chart .target { fill: #c9ced6; } svg.chart .achieved { fill: var(--brand); } svg.chart .axis { stroke: #8a93a1; }
.legend { display: flex; gap: 1rem; font-size: .9rem; margin: .25rem 0; }
.legend .swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -.1rem; }
.swatch.target { background: #c9ced6; } .swatch.achieved { background: var(--brand); }
.muted { color: var(--muted); }
@media (max-width: 30rem) { .optional { display: none; } table { font-size: .9rem; } }
.downloads li { margin: .4rem 0; }
footer { color: var(--muted); font-size: .85rem; text-align: center; padding: 1.5rem .75rem; }
.signin { max-width: 24rem; margin: 1.5rem auto; }
.state { display: inline-block; font-size: .85rem; padding: .05rem .5rem; border-radius: 1rem; border: 1px solid var(--line); white-space: nowrap; }
.state.approved { background: var(--ok); color: #fff; } .state.submitted { background: var(--track); color: #fff; }
.state.returned { background: var(--late); color: #fff; } .state.draft { background: #eef0f4; } .state.none { background: #fff; color: var(--muted); }
fieldset.breakdown { border: 1px solid var(--line); border-radius: .4rem; margin: .75rem 0 0; padding: .25rem .75rem .5rem; max-width: 28rem; }
fieldset.breakdown legend { font-weight: 600; padding: 0 .25rem; }
dl.result { margin: 0; } dl.result div { display: flex; flex-wrap: wrap; gap: 0 .5rem; padding: .2rem 0; border-bottom: 1px solid var(--line); }
dl.result dt { color: var(--muted); min-width: 8rem; } dl.result dd { margin: 0; font-weight: 600; }
ol.history { padding-left: 1.25rem; } ol.history li { margin: .3rem 0; }
ul.inbox, ul.cells, ul.silent { list-style: none; padding: 0; margin: 0; }
ul.inbox li { display: grid; grid-template-columns: auto 1fr; gap: .1rem .5rem; padding: .5rem 0; border-bottom: 1px solid var(--line); }
ul.inbox li > span, ul.inbox li > a { grid-column: 2; }
ul.cells li, ul.silent li { padding: .3rem 0; border-bottom: 1px solid var(--line); }
.deadline { font-size: 1.05rem; } .deadline.late strong { color: var(--late); }
form.filters .field { max-width: 100%; } form.filters select { max-width: 100%; }
table.targets td { white-space: nowrap; }
table.targets tbody th { white-space: normal; min-width: 7.5rem; font-weight: 400; background: #fff; }
table.targets tbody th, table.targets thead th:first-child { position: sticky; left: 0; z-index: 1; box-shadow: inset -1px 0 0 var(--line); }
table.targets tr.own th, table.targets tr.own td { background: #f6f7f9; font-weight: 600; }
.origin { display: block; font-size: .75rem; font-weight: 400; color: var(--muted); }
.origin.locked { color: var(--late); font-weight: 600; }
fieldset.weights { border: 1px solid var(--line); border-radius: .4rem; margin: .75rem 0 0; padding: .25rem .75rem .5rem; max-width: 28rem; }
fieldset.weights legend { font-weight: 600; padding: 0 .25rem; }
.secret { font-family: ui-monospace, monospace; font-size: 1.2rem; font-weight: 700; letter-spacing: .05em; word-break: break-all; background: #fff; border: 1px dashed var(--line); padding: .5rem; display: inline-block; }
ul.accounts { list-style: none; padding: 0; margin: 0; } ul.accounts li { padding: .5rem 0; border-bottom: 1px solid var(--line); }
form.inline { display: inline; }
.report-head { text-align: center; margin-bottom: .75rem; }
.report-head p { margin: .15rem 0; font-weight: 600; }
.report-head h1 { margin: .6rem 0 .3rem; text-transform: uppercase; }
.report-head p.report-date { font-weight: 400; font-style: italic; }
table.report th, table.report td { border: 1px solid var(--line); }
table.report { min-width: 46rem; table-layout: fixed; }
table.report col.c-stt { width: 3.2rem; } table.report col.c-name { width: 36%; } table.report col.c-measure { width: 9%; }
table.report col.c-num { width: 11%; } table.report col.c-rate { width: 10%; } table.report col.c-note { width: 14%; }
table.report thead th { white-space: normal; vertical-align: middle; }
table.report tr.band th { background: #f7eef2; white-space: normal; }
table.report td.note.suspended { color: var(--pause); font-style: italic; }
table.report td.note.behind { color: var(--late); }
@media print {
  @page { size: A4 landscape; margin: 12mm 10mm; }
  body { background: #fff; color: #000; font: 11pt/1.35 "Times New Roman", Times, serif; }
  header.top, footer, .skip, .no-print, .notice { display: none !important; }
  main { max-width: none; padding: 0; margin: 0; }
  a { color: #000; text-decoration: none; }
  .muted { color: #000; }
  .headline { font-size: 12pt; }
  h2 { font-size: 12pt; margin: .6rem 0 .3rem; break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  table.report { font-size: 10pt; width: 100%; }
  table.report thead { display: table-header-group; }
  table.report tr { break-inside: avoid; page-break-inside: avoid; }
  table.report th, table.report td { border: 1px solid #000; padding: .15rem .3rem; color: #000; }
  table.report thead th, table.report tr.band th { background: #fff; }
  table.report td.note.suspended, table.report td.note.behind { color: #000; }
}
@media (min-width: 48rem) {
  header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; }
  nav.main ul { margin: 0; }
  .account { margin: 0 0 0 auto; }
  main { padding: 1rem 1.5rem; }
  .indicators { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}
"""#)
}
