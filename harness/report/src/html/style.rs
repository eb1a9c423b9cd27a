//! The page's one inline stylesheet: readable on screen and in print, no external font or asset.

/// CSS for `report.html`.
pub const CSS: &str = r#"
:root { --fail: #b3261e; --warn: #9a6700; --pass: #1a7f37; --muted: #57606a; --line: #d0d7de; --bg-fail: #ffebe9; --bg-warn: #fff8c5; --bg-pass: #dafbe1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { padding: 16px 24px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: var(--muted); font-size: 13px; }
nav { padding: 8px 24px; border-bottom: 1px solid var(--line); font-size: 13px; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
main { padding: 8px 24px 40px; max-width: 1400px; }
section { margin-top: 24px; }
h2 { font-size: 17px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td, td.fail { background: var(--bg-fail); }
tr.warn td, td.warn { background: var(--bg-warn); }
td.pass { background: var(--bg-pass); }
.status { font-weight: 600; }
.status.failed, .status.error { color: var(--fail); }
.status.passed { color: var(--pass); }
.status.skipped { color: var(--muted); }
.status.flaky, .status.quarantined { color: var(--warn); }
.verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; }
.verdict.pass { background: var(--bg-pass); color: var(--pass); }
.verdict.fail { background: var(--bg-fail); color: var(--fail); }
.case { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.case.failed, .case.error { border-left: 4px solid var(--fail); }
.case.flaky, .case.quarantined { border-left: 4px solid var(--warn); }
.case h3 { margin: 0 0 4px; }
blockquote { margin: 6px 0; padding: 4px 10px; border-left: 3px solid var(--line); color: #424a53; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px; overflow-x: auto; font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; white-space: pre; }
details > summary { cursor: pointer; color: #0969da; }
.muted { color: var(--muted); }
svg { max-width: 100%; height: auto; }
"#;
