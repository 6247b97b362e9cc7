import HTTPService

/// The agent's page (`GET /` on `--http`): the live instances, per Configuration counts, and, in
/// `run`, each broker's conditions. Fed by `/events` (Server-Sent Events of what `watch --output
/// json` prints); the browser reconnects by itself and the stream starts with a full snapshot.
///
/// Instance names, device ids and properties come from devices and are attacker-controlled: the
/// script puts them in the page as text only, links only `http:` and `https:` URLs (as text, with
/// `rel="noopener noreferrer"`), and the Content-Security-Policy lets no other script run.
enum InstancesPage {
    /// The script's path.
    static let scriptPath = "/instances.js"

    /// The page.
    static let html = PageStyle.document(
        title: "Instances · mqtt-discovery",
        script: scriptPath,
        disconnected: "Disconnected from the agent; reconnecting…",
        body: #"""
            <header>
              <h1>Instances</h1>
              <span id="stream" class="badge warn" role="status">connecting</span>
              <span id="summary" class="muted" aria-live="polite"></span>
            </header>
            <h2 id="counts-title">By Configuration</h2>
            <ul id="counts" class="counts" aria-labelledby="counts-title"></ul>
            <h2 id="instances-title">Devices</h2>
            <div class="scroll">
            <table aria-labelledby="instances-title">
              <thead><tr>
                <th scope="col">State</th><th scope="col">Instance</th><th scope="col">Configuration</th>
                <th scope="col">Device</th><th scope="col">Properties</th><th scope="col">Since</th>
              </tr></thead>
              <tbody id="instances"></tbody>
            </table>
            </div>
            <p id="empty" class="muted">No instances yet.</p>
            <section id="brokers-section" hidden>
              <h2 id="brokers-title">Brokers</h2>
              <div class="scroll">
              <table aria-labelledby="brokers-title">
                <thead><tr><th scope="col">Broker</th><th scope="col">Client id</th><th scope="col">Connected</th><th scope="col">Subscribed</th><th scope="col">Since</th></tr></thead>
                <tbody id="brokers"></tbody>
              </table>
              </div>
            </section>
            <footer>mqtt-discovery agent · removed instances stay listed, faded, for a minute · <a href="/status">/status</a> · <a href="/metrics">/metrics</a></footer>
            """#
    )

    /// The script: no libraries, no build step.
    static let script =
        PageStyle.scriptHelpers + #"""
            (() => {
              const KEEP_REMOVED_MS = 60000;
              const rows = new Map();        // instance name -> {row, configuration, live}
              let configurations = [];       // from /status, so empty ones show as 0


              // A property value: a link when it is an http(s) URL (a monitor's address, say), else text.
              function value(v) {
                try {
                  const url = new URL(v);
                  if (url.protocol === "http:" || url.protocol === "https:") {
                    const a = document.createElement("a");
                    a.href = url.href;
                    a.rel = "noopener noreferrer";
                    text(a, v);
                    return a;
                  }
                } catch (error) { /* not a URL */ }
                return document.createTextNode(v);
              }

              function properties(cell, props) {
                cell.replaceChildren();
                const keys = Object.keys(props || {}).sort();
                for (const key of keys) {
                  const line = document.createElement("div");
                  line.append(document.createTextNode(key + "="), value(props[key]));
                  cell.appendChild(line);
                }
              }

              function upsert(e) {
                let entry = rows.get(e.instance);
                if (!entry) {
                  const row = newRow($("instances"), 6);
                  row.cells[0].className = "state";
                  row.cells[1].className = "mono";
                  row.cells[3].className = "mono";
                  row.cells[4].className = "mono";
                  row.dataset.instance = e.instance;
                  entry = {row, configuration: e.configuration, live: true, timer: null};
                  rows.set(e.instance, entry);
                  const body = $("instances");
                  const after = [...body.children].find((r) => r.dataset.instance > e.instance);
                  body.insertBefore(row, after || null);
                }
                if (entry.timer) { clearTimeout(entry.timer); entry.timer = null; }
                entry.live = true;
                entry.configuration = e.configuration;
                const row = entry.row;
                row.className = "";
                row.dataset.state = "live";
                const state = document.createElement("span");
                badge(state, true, "live");
                row.cells[0].replaceChildren(state);
                text(row.cells[1], e.instance);
                text(row.cells[2], e.configuration);
                text(row.cells[3], e.id);
                properties(row.cells[4], e.properties);
                if (e.event === "added" || !row.cells[5].textContent) text(row.cells[5], time(e.time));
              }

              function remove(e) {
                const entry = rows.get(e.instance);
                if (!entry) return;
                entry.live = false;
                const row = entry.row;
                row.className = "removed";
                row.dataset.state = "removed";
                const state = document.createElement("span");
                badge(state, false, "removed");
                const why = document.createElement("div");
                why.className = "reason";
                text(why, e.reason ? e.reason : "reason not known");
                row.cells[0].replaceChildren(state, why);
                text(row.cells[5], time(e.time));
                entry.timer = setTimeout(() => { row.remove(); rows.delete(e.instance); summarize(); }, KEEP_REMOVED_MS);
              }

              function summarize() {
                const counts = new Map(configurations.map((name) => [name, 0]));
                let live = 0;
                for (const entry of rows.values()) {
                  if (!entry.live) continue;
                  live += 1;
                  counts.set(entry.configuration, (counts.get(entry.configuration) || 0) + 1);
                }
                const list = $("counts");
                list.replaceChildren();
                for (const [name, count] of [...counts.entries()].sort()) {
                  const item = document.createElement("li");
                  const label = document.createElement("span");
                  label.className = "mono";
                  text(label, name);
                  item.append(label, document.createTextNode(": " + count + (count === 1 ? " instance" : " instances")));
                  list.appendChild(item);
                }
                text($("summary"), live + (live === 1 ? " live instance" : " live instances"));
                $("empty").hidden = rows.size > 0;
              }

              function brokers(status) {
                const handler = status.handler || (status.brokers ? status : null);
                const agent = status.agent || status;
                if (Array.isArray(agent.configurations)) configurations = agent.configurations.map((c) => c.name);
                if (!handler || !Array.isArray(handler.brokers)) return;
                $("brokers-section").hidden = false;
                const body = $("brokers");
                body.replaceChildren();
                for (const broker of handler.brokers) {
                  const row = newRow(body, 5);
                  const cells = [...row.cells];
                  cells[0].className = "mono";
                  text(cells[0], broker.url);
                  text(cells[1], broker.clientId);
                  let since = "";
                  for (const [index, type] of [[2, "Connected"], [3, "Subscribed"]]) {
                    const condition = (broker.conditions || []).find((c) => c.type === type);
                    if (!condition) continue;
                    const b = document.createElement("span");
                    badge(b, condition.status === "True", condition.status === "True" ? "yes" : "no: " + condition.reason);
                    const message = document.createElement("div");
                    message.className = "muted";
                    text(message, condition.message);
                    cells[index].append(b, message);
                    since = condition.lastTransitionTime;
                  }
                  text(cells[4], since ? new Date(since).toLocaleTimeString([], {hour12: false}) : "");
                  body.appendChild(row);
                }
              }

              async function status() {
                try {
                  const response = await fetch("/status", {cache: "no-store"});
                  brokers(await response.json());
                  summarize();
                } catch (error) { /* the banner speaks for the stream */ }
              }

              function connect() {
                const events = new EventSource("/events");
                let snapshot = null;
                events.addEventListener("instance", (message) => {
                  const e = JSON.parse(message.data);
                  if (e.event === "synced") {
                    // A new snapshot ends: what it did not list is gone.
                    for (const [name, entry] of rows) if (entry.live && !snapshot.has(name)) remove({instance: name, reason: "gone while disconnected"});
                    snapshot = null;
                  } else if (e.event === "removed") {
                    remove(e);
                  } else {
                    if (snapshot) snapshot.add(e.instance);
                    upsert(e);
                  }
                  summarize();
                });
                events.onopen = () => { snapshot = new Set(); $("banner").hidden = true; badge($("stream"), true, "live"); };
                events.onerror = () => { $("banner").hidden = false; badge($("stream"), false, "disconnected, reconnecting"); };
              }

              status();
              setInterval(status, 3000);
              connect();
            })();
            """#
}
