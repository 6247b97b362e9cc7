import HTTPService

/// The monitor's page (`GET /` from a browser): the device, its broker and connection, the
/// latest message per topic, and a live line chart per number, seeded from `/history` and fed by
/// `/events` (Server-Sent Events; the browser reconnects by itself, sending `Last-Event-ID`).
///
/// Everything a device sends (topics, payloads, ids) is attacker-controlled: the script only ever
/// puts it in the page as text (`textContent`, text nodes), never as markup, and the
/// Content-Security-Policy lets no script run but this one.
enum MonitorPage {
    /// The script's path.
    static let scriptPath = "/monitor.js"

    /// The page. The device's name arrives with `/status`, so the markup holds nothing of it.
    static let html = PageStyle.document(
        title: "Device monitor",
        script: scriptPath,
        disconnected: "Disconnected from the monitor; reconnecting…",
        body: #"""
            <header>
              <h1>Device <span id="device" class="mono">…</span></h1>
              <span id="connection" class="badge warn" role="status">connecting</span>
              <span id="stream" class="badge warn">live updates: connecting</span>
            </header>
            <dl class="facts">
              <dt>Broker</dt><dd id="broker" class="mono">…</dd>
              <dt>Topics</dt><dd id="topics" class="mono">…</dd>
              <dt>Messages</dt><dd id="messages">0</dd>
              <dt id="upstream-label" hidden>Upstream</dt><dd id="upstream" hidden></dd>
              <dt id="influx-label" hidden>InfluxDB</dt><dd id="influx" hidden></dd>
            </dl>
            <h2 id="charts-title">Numbers</h2>
            <div class="controls">
              <label for="window">Show the last</label>
              <select id="window">
                <option value="1">1 minute</option>
                <option value="5" selected>5 minutes</option>
                <option value="15">15 minutes</option>
                <option value="60">60 minutes</option>
              </select>
            </div>
            <p id="no-charts" class="muted">No numbers yet: a chart appears for each number in a payload (a plain number, or a flat JSON object's numbers).</p>
            <div id="charts" class="charts" aria-labelledby="charts-title"></div>
            <h2 id="latest-title">Latest message per topic</h2>
            <div class="scroll">
            <table aria-labelledby="latest-title">
              <thead><tr><th scope="col">Topic</th><th scope="col">Payload</th><th scope="col">Received</th><th scope="col">QoS</th></tr></thead>
              <tbody id="latest"></tbody>
            </table>
            </div>
            <footer>mqtt-discovery monitor · <a href="/latest">/latest</a> · <a href="/history">/history</a> · <a href="/metrics">/metrics</a> · <a href="/status">/status</a></footer>
            """#
    )

    /// The script: no libraries, no build step.
    static let script =
        PageStyle.scriptHelpers + #"""
            (() => {
              const SVG = "http://www.w3.org/2000/svg";
              const MAX_POINTS = 5000;
              const series = new Map();   // "topic\u0000field" -> {topic, field, points: [[t, v]], figure, svg, value}
              const latest = new Map();   // topic -> row
              let lastSequence = 0;
              let minutes = 5;
              let pending = false;

              // One message: the latest table, and a point per number.
              function add(message) {
                if (typeof message.sequence === "number") {
                  if (message.sequence <= lastSequence) return;
                  lastSequence = message.sequence;
                }
                const at = Date.parse(message.received);
                let row = latest.get(message.topic);
                if (!row) {
                  row = newRow($("latest"), 4);
                  row.cells[0].className = "mono";
                  row.cells[1].className = "mono";
                  latest.set(message.topic, row);
                  const rows = $("latest");
                  const after = [...rows.children].find((r) => r.cells[0].textContent > message.topic);
                  rows.insertBefore(row, after || null);
                }
                text(row.cells[0], message.topic);
                text(row.cells[1], message.encoding === "base64" ? "(binary, base64) " + message.payload : message.payload);
                text(row.cells[2], time(at));
                text(row.cells[3], String(message.qos));
                for (const [field, value] of Object.entries(message.numbers || {})) {
                  if (typeof value !== "number" || !isFinite(value)) continue;
                  const s = chart(message.topic, field);
                  s.points.push([at, value]);
                  if (s.points.length > MAX_POINTS) s.points.splice(0, s.points.length - MAX_POINTS);
                  s.latest = value;
                }
                schedule();
              }

              function chart(topic, field) {
                const key = topic + "\u0000" + field;
                let s = series.get(key);
                if (s) return s;
                const figure = document.createElement("figure");
                const caption = document.createElement("figcaption");
                const name = document.createElement("span");
                name.className = "mono";
                text(name, topic + " · " + field);
                const value = document.createElement("span");
                value.className = "value";
                caption.append(name, value);
                const svg = document.createElementNS(SVG, "svg");
                svg.setAttribute("class", "chart");
                svg.setAttribute("viewBox", "0 0 400 160");
                svg.setAttribute("preserveAspectRatio", "none");
                svg.setAttribute("role", "img");
                figure.append(caption, svg);
                figure.dataset.topic = topic;
                figure.dataset.field = field;
                $("charts").appendChild(figure);
                $("no-charts").hidden = true;
                s = {topic, field, points: [], figure, svg, value, latest: null};
                series.set(key, s);
                return s;
              }

              function schedule() {
                if (pending) return;
                pending = true;
                requestAnimationFrame(() => { pending = false; drawAll(); });
              }

              function drawAll() { for (const s of series.values()) draw(s); }

              function element(name, attributes, content) {
                const e = document.createElementNS(SVG, name);
                for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
                if (content !== undefined) e.textContent = content;
                return e;
              }

              // A line over the window's points: time across (labels at both ends and the middle),
              // value up (the window's lowest and highest labelled).
              function draw(s) {
                const now = Date.now();
                const shown = s.points.filter(([t]) => t >= now - minutes * 60000);
                // The axis spans the window, or less while there is less to show.
                const from = Math.min(now - 10000, Math.max(now - minutes * 60000, shown.length ? shown[0][0] : now));
                const left = 48, right = 396, top = 8, bottom = 136;
                let low = Infinity, high = -Infinity;
                for (const [, v] of shown) { low = Math.min(low, v); high = Math.max(high, v); }
                if (!shown.length) { low = 0; high = 1; }
                if (low === high) { low -= 1; high += 1; }
                const x = (t) => left + (right - left) * (t - from) / (now - from);
                const y = (v) => bottom - (bottom - top) * (v - low) / (high - low);
                s.svg.replaceChildren(
                  element("path", {class: "axis", d: `M${left} ${top}V${bottom}H${right}`}),
                  element("text", {x: 2, y: top + 10}, format(high)),
                  element("text", {x: 2, y: bottom}, format(low)),
                  element("text", {x: left, y: 154}, time(from)),
                  element("text", {x: (left + right) / 2 - 24, y: 154}, time((from + now) / 2)),
                  element("text", {x: right - 52, y: 154}, time(now)),
                );
                if (shown.length) {
                  const d = shown.map(([t, v], i) => (i ? "L" : "M") + x(t).toFixed(1) + " " + y(v).toFixed(1)).join("");
                  s.svg.appendChild(element("path", {class: "series", d}));
                  const [lt, lv] = shown[shown.length - 1];
                  s.svg.appendChild(element("circle", {class: "dot", cx: x(lt).toFixed(1), cy: y(lv).toFixed(1), r: 3}));
                }
                s.svg.dataset.points = String(shown.length);
                s.figure.dataset.points = String(shown.length);
                const summary = s.latest === null ? "no value yet" : "latest " + format(s.latest);
                text(s.value, summary);
                s.svg.setAttribute("aria-label",
                  `${s.field} on ${s.topic}: ${shown.length} points in the last ${minutes} minutes, ${summary}`);
              }

              function format(v) { return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toFixed(3)); }

              async function status() {
                try {
                  const response = await fetch("/status", {cache: "no-store"});
                  const s = await response.json();
                  text($("device"), s.device);
                  document.title = s.device + " · monitor";
                  text($("broker"), s.broker);
                  text($("topics"), s.topics.join("  "));
                  text($("messages"), String(s.messages));
                  badge($("connection"), s.connected && s.subscribed,
                    s.connected ? (s.subscribed ? "broker: connected, subscribed" : "broker: connected, subscribing") : "broker: " + s.connection);
                  if (s.upstream) {
                    $("upstream-label").hidden = $("upstream").hidden = false;
                    text($("upstream"), `${s.upstream.broker}: ${s.upstream.connection}; ${s.upstream.forwarded} forwarded, ` +
                      `${s.upstream.queueBytes} bytes queued, ${s.upstream.dropped} dropped`);
                  }
                  if (s.influxdb) {
                    $("influx-label").hidden = $("influx").hidden = false;
                    text($("influx"), `${s.influxdb.url}: ${s.influxdb.written} points written, ${s.influxdb.dropped} dropped`);
                  }
                } catch (error) {
                  badge($("connection"), false, "monitor unreachable");
                }
              }

              async function start() {
                $("window").addEventListener("change", (event) => { minutes = Number(event.target.value); drawAll(); });
                await status();
                setInterval(status, 3000);
                setInterval(drawAll, 1000);
                try {
                  const response = await fetch("/history?limit=1000", {cache: "no-store"});
                  for (const message of await response.json()) add(message);
                } catch (error) { /* the stream still brings what comes next */ }
                const events = new EventSource("/events");
                let started = null;
                events.addEventListener("hello", (event) => {
                  const hello = JSON.parse(event.data);
                  // A restarted monitor counts from 1 again.
                  if (started !== null && hello.started !== started) lastSequence = 0;
                  started = hello.started;
                });
                events.addEventListener("message", (event) => add(JSON.parse(event.data)));
                events.onopen = () => { $("banner").hidden = true; badge($("stream"), true, "live updates: on"); };
                events.onerror = () => {
                  $("banner").hidden = false;
                  badge($("stream"), false, "live updates: disconnected, reconnecting");
                };
              }

              start();
            })();
            """#
}
