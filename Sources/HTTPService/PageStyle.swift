public import HTTP

/// The style sheet the daemons' pages share (`/style.css`): plain, readable in a narrow window,
/// light or dark as the system is, with state shown in words and shapes as well as colour.
/// No external fonts or URLs: the pages work offline.
public enum PageStyle {
    /// The path it is served at.
    public static let path = "/style.css"

    /// The Content-Security-Policy of every page: scripts, styles and connections from the
    /// server itself only, so nothing a device publishes can run even if it reached the markup.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// A page: the shared head (style sheet, the page's script, deferred) and a banner the
    /// script shows while its event stream is down, then `body`.
    public static func document(title: String, script: String, disconnected: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <link rel="stylesheet" href="\(path)">
        <script src="\(script)" defer></script>
        </head>
        <body>
        <div id="banner" class="banner" role="alert" hidden>\(disconnected)</div>
        \(body)
        </body>
        </html>
        """
    }

    /// What the pages' scripts share, in front of each: `$` for an element by id, `text` (the
    /// one way device strings reach the page: as text), `badge` (state in words and a symbol),
    /// `time` (a clock time of milliseconds since 1970).
    public static let scriptHelpers = #"""
        "use strict";
        const $ = (id) => document.getElementById(id);
        function text(element, value) { element.textContent = value; }
        function badge(element, good, label) {
          element.className = "badge " + (good === null ? "warn" : good ? "good" : "bad");
          text(element, label);
        }
        function time(ms) { return typeof ms === "number" ? new Date(ms).toLocaleTimeString([], {hour12: false}) : ""; }
        // A row for the table body `body`, not yet added: `count` cells, each labelled with its
        // column's heading, which a narrow window shows in place of the header row.
        function newRow(body, count) {
          const heads = body.closest("table").tHead.rows[0].cells;
          const row = document.createElement("tr");
          for (let i = 0; i < count; i++) {
            const cell = row.appendChild(document.createElement("td"));
            if (heads[i]) cell.dataset.label = heads[i].textContent;
          }
          return row;
        }

        """#

    /// The style sheet.
    public static let css = #"""
        :root {
          color-scheme: light dark;
          --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
          --good: #1a7f37; --bad: #cf222e; --warn: #9a6700; --accent: #0969da;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #30363d;
            --good: #3fb950; --bad: #f85149; --warn: #d29922; --accent: #4493f8;
          }
        }
        * { box-sizing: border-box; }
        body {
          margin: 0; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
          color: var(--fg); background: var(--bg);
        }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; margin-bottom: 1rem; }
        h1 { font-size: 1.3rem; margin: 0; overflow-wrap: anywhere; }
        h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; overflow-wrap: anywhere; }
        .muted { color: var(--muted); }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; overflow-wrap: anywhere; }
        .badge { display: inline-block; padding: 0 .5em; border: 1px solid currentColor; border-radius: 1em; font-size: .85em; white-space: nowrap; }
        .badge.good { color: var(--good); }
        .badge.bad { color: var(--bad); }
        .badge.warn { color: var(--warn); }
        .badge.good::before { content: "\25CF  "; }
        .badge.bad::before { content: "\2716  "; }
        .badge.warn::before { content: "\25CC  "; }
        .banner { padding: .5rem .75rem; border: 2px solid var(--bad); border-radius: 6px; margin-bottom: 1rem; }
        .banner[hidden] { display: none; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
        th { font-weight: 600; color: var(--muted); }
        .scroll { overflow-x: auto; }
        tr.removed td:not(.state) { opacity: .5; text-decoration: line-through; text-decoration-thickness: 1px; }
        .reason { font-size: .9em; }
        .counts { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; padding: 0; margin: 0; list-style: none; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 1rem; }
        figure { margin: 0; padding: .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
        figcaption { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
        figcaption .value { font-weight: 600; }
        svg.chart { width: 100%; height: 160px; display: block; }
        svg.chart .axis { stroke: var(--line); stroke-width: 1; fill: none; }
        svg.chart .series { stroke: var(--accent); stroke-width: 2; fill: none; }
        svg.chart .dot { fill: var(--accent); }
        svg.chart text { fill: var(--muted); font-size: 11px; }
        .controls { display: flex; gap: .5rem; align-items: center; }
        /* A narrow window: each row a block, each cell its column's name then its value. */
        @media (max-width: 40rem) {
          body { padding: .5rem; }
          table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
          table tr { display: block; padding: .35rem 0; border-bottom: 1px solid var(--line); }
          table td { display: block; position: relative; padding: .1rem .25rem .1rem 7.5rem; border: 0; overflow-wrap: anywhere; }
          table td[data-label]::before {
            content: attr(data-label); position: absolute; left: .25rem; width: 7rem;
            font: 600 .85rem system-ui, sans-serif; color: var(--muted); text-decoration: none;
          }
        }
        footer { margin-top: 2rem; color: var(--muted); font-size: .85em; }
        """#
}

extension HTTPResponse {
    /// A page, script or style sheet of ours: UTF-8, under ``PageStyle/contentSecurityPolicy``,
    /// checked again on every load (`no-cache`: a new binary serves a new page).
    public static func asset(_ text: String, type: String) -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: HTTPHeaders([
                ("Content-Type", "\(type); charset=utf-8"),
                ("Content-Security-Policy", PageStyle.contentSecurityPolicy),
                ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", "no-cache"),
            ]),
            body: Array(text.utf8)
        )
    }
}
