// The live view of an application's in-application streams: rows as they
// come (server-sent events) and a chart of their numeric columns.

import { presign } from "./sigv4.js";
import { REGION, creds, h, heartbeat, own, secs } from "./ui.js";

const ROWS_KEPT = 200; // rows a live table keeps: the newest

let live = null; // the open EventSource and its drawing loop

export function stopLive() {
  if (live) {
    if (live.source) live.source.close();
    cancelAnimationFrame(live.frame);
    clearTimeout(live.retry);
    live = null;
  }
}

// windowSeconds is the window length of the SQL when all its windows are
// of one length (INTERVAL 'N' UNIT, or FLOOR(... SECOND / N TO SECOND)
// as the lab groups), else 0: then the empty state says it generically.
function windowSeconds(code) {
  const unit = { SECOND: 1, MINUTE: 60, HOUR: 3600 };
  const found = new Set();
  for (const m of code.matchAll(/INTERVAL\s+'(\d+)'\s+(SECOND|MINUTE|HOUR)/gi)) found.add(Number(m[1]) * unit[m[2].toUpperCase()]);
  for (const m of code.matchAll(/\bSECOND\s*\/\s*(\d+)\s+TO\s+SECOND/gi)) found.add(Number(m[1]));
  for (const m of code.matchAll(/\bTO\s+(MINUTE|HOUR)\s*\)/gi)) found.add(unit[m[1].toUpperCase()]);
  return found.size === 1 ? [...found][0] : 0;
}

// emptyText is what a stream's tab says before its first row.
function emptyText(stream, code) {
  if (/^SOURCE_SQL_STREAM/.test(stream)) return "No rows yet: rows appear as records arrive on the source.";
  if (stream === "error_stream") return "No rows yet: records the application could not read or compute appear here.";
  const w = windowSeconds(code);
  return w ? `No rows yet: rows appear as windows close, every ${secs(w)} for this SQL.` : "No rows yet: rows appear as windows close.";
}

export function liveSection(name, code) {
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "In-application streams" });
  const pause = h("button", { class: "secondary", "aria-pressed": "false" }, "Pause");
  const table = h("table", { class: "rows" });
  const chartBox = h("div", { class: "chart", id: "live-chart", hidden: true });
  const empty = h("p", { class: "muted empty", id: "live-empty" }, "Loading the application's streams…");
  const sec = h("section", { "aria-labelledby": "live-title" }, h("h2", { id: "live-title" }, "Real-time analytics"), tabs,
    h("div", { class: "row" }, pause, h("span", { class: "muted", id: "live-count" }, "")), empty, chartBox, h("div", { class: "rows" }, table));
  let paused = false;
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
  });
  const count = sec.querySelector("#live-count");
  own("GET", `/riffle/v1/applications/${encodeURIComponent(name)}/streams`).then((streams) => {
    if (!sec.isConnected) return; // the user has gone elsewhere meanwhile
    if (!streams.length) return void (empty.textContent = "No in-application streams yet.");
    const open = (stream) => {
      for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.stream === stream));
      follow(name, stream, code, table, chartBox, count, empty, () => paused);
    };
    tabs.replaceChildren(...streams.map((s) => h("button", { role: "tab", "data-stream": s, onclick: () => open(s) }, s)));
    open(streams.includes("DESTINATION_SQL_STREAM") ? "DESTINATION_SQL_STREAM" : streams[0]);
  }).catch((err) => {
    if (sec.isConnected) tabs.replaceChildren(h("p", { class: "error", role: "alert" }, err.message));
  });
  return sec;
}

// follow shows a stream's rows, newest on top, keeping the newest
// ROWS_KEPT; rows that arrive between frames are drawn once per frame, so
// a fast stream does not freeze the page.
function follow(app, stream, code, table, chartBox, count, empty, isPaused) {
  stopLive();
  const rows = [];
  let pending = [];
  let total = 0;
  let wait = 1000;
  live = { source: null, frame: 0, retry: 0 };
  // A tap that ends (the application restarted, the network dropped) is
  // opened again with a fresh signature (a presigned URL lives five
  // minutes); it sends its recent rows again, so the table starts anew.
  const connect = () => {
    const source = new EventSource(presign(creds(), REGION, "riffle", "GET", `/riffle/v1/applications/${encodeURIComponent(app)}/streams/${encodeURIComponent(stream)}`));
    source.onopen = () => {
      wait = 1000;
      rows.length = 0;
      pending = [];
    };
    source.onmessage = (e) => {
      pending.push(JSON.parse(e.data));
      if (pending.length > ROWS_KEPT) pending = pending.slice(-ROWS_KEPT);
      total++;
    };
    source.onerror = () => {
      source.close();
      count.textContent = `${total} rows since opened; reconnecting…`;
      heartbeat(); // a tap that ends may be a server gone: say so at once
      live.retry = setTimeout(connect, wait);
      wait = Math.min(2 * wait, 15000);
    };
    live.source = source;
  };
  connect();
  // Nothing of the previous tab's stream stays: its rows, count and chart.
  table.replaceChildren();
  table.dataset.stream = stream;
  count.textContent = "";
  chartBox.replaceChildren();
  chartBox.hidden = true;
  const th = anomalyThreshold(code);
  empty.hidden = false;
  empty.textContent = emptyText(stream, code);
  let drawn = 0, drawnWidth = 0;
  // The columns the user unticked stay unticked for this tab.
  const picked = { off: new Set(), key: null };
  const redraw = () => {
    chart(chartBox, rows, th, picked, redraw);
    drawnWidth = chartBox.clientWidth;
  };
  const draw = (now) => {
    // Redrawn at most five times a second: a table of ROWS_KEPT rows is
    // cheap that often, and the page stays responsive however fast rows come.
    if (pending.length && !isPaused() && now - drawn >= 200) {
      drawn = now;
      rows.unshift(...pending.reverse());
      pending = [];
      rows.length = Math.min(rows.length, ROWS_KEPT);
      const cols = Object.keys(rows[0]);
      table.replaceChildren(h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, c)))),
        h("tbody", {}, rows.map((r) => h("tr", { class: isAnomaly(r, th) ? "flag" : null }, cols.map((c) => cell(r[c]))))));
      count.textContent = `${total} rows since opened; showing the newest ${rows.length}`;
      empty.hidden = true;
      redraw();
    } else if (rows.length && !chartBox.hidden && chartBox.clientWidth !== drawnWidth) {
      // The page changed width (a turned phone, a resized window): the
      // panels are drawn again to fit rather than shrunk, so labels stay legible.
      redraw();
    }
    live.frame = requestAnimationFrame(draw);
  };
  live.frame = requestAnimationFrame(draw);
}

// num writes a number as people read it: integers whole, others to at most
// six significant digits (230, not 229.99999999999997).
function num(v) {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

// cell is a live table's cell: a rounded number keeps its exact value in
// its title.
function cell(v) {
  if (v == null) return h("td", {}, "");
  if (typeof v !== "number") return h("td", {}, String(v));
  const shown = num(v);
  return h("td", { class: "num", title: shown === String(v) ? null : String(v) }, shown);
}

// anomalyThreshold is the score above which a row is an anomaly: the
// SQL's own when its WHERE compares ANOMALY_SCORE plainly with a number
// (ANOMALY_SCORE > 3), else 2; or-equal says whether the threshold counts.
function anomalyThreshold(code) {
  const m = /\bANOMALY_SCORE"?\s*(>=?)\s*(-?\d+(?:\.\d+)?)\b/i.exec(code || "");
  return m ? { value: Number(m[2]), orEqual: m[1] === ">=" } : { value: 2, orEqual: false };
}

function isAnomaly(r, th) {
  const v = r.ANOMALY_SCORE;
  return typeof v === "number" && (th.orEqual ? v >= th.value : v > th.value);
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

// clock writes an application time (ROWTIME) as the axis shows it, in UTC.
function clock(t) {
  return new Date(t).toISOString().slice(11, 19);
}

// chart draws one panel per numeric column over ROWTIME, each with its own
// scale; ANOMALY_SCORE's panel has the threshold line, and rows above it
// are marked in every panel. A missing value or a gap in time much longer
// than the usual spacing breaks the line: no trend is drawn where there were
// no rows. A stream without numeric columns has no chart at all.
function chart(box, rows, th, picked, redraw) {
  const ordered = rows.filter((r) => !Number.isNaN(Date.parse(r.ROWTIME))).reverse();
  const cols = [...new Set(ordered.flatMap((r) => Object.keys(r)))].filter((c) => c !== "ROWTIME" && ordered.some((r) => typeof r[c] === "number"));
  if (!cols.length) {
    box.replaceChildren();
    box.hidden = true;
    picked.key = null;
    return;
  }
  box.hidden = false;
  // The column choice is built anew only when the columns change, so a
  // redraw does not take the focus from a checkbox.
  if (picked.key !== cols.join("\n")) {
    picked.key = cols.join("\n");
    const choice = h("fieldset", { class: "columns" }, h("legend", {}, "Columns charted"),
      cols.map((c) => h("label", {}, h("input", { type: "checkbox", value: c, checked: !picked.off.has(c), onchange: (e) => {
        if (e.target.checked) picked.off.delete(c);
        else picked.off.add(c);
        redraw();
      } }), " ", c)));
    choice.hidden = cols.length < 2;
    box.replaceChildren(choice, h("div", { class: "panels" }));
  }
  const shown = cols.filter((c) => !picked.off.has(c));
  const times = ordered.map((r) => Date.parse(r.ROWTIME));
  const t0 = times[0], t1 = times[times.length - 1];
  // The usual spacing is the median step between rows of distinct times.
  const steps = times.slice(1).map((t, i) => t - times[i]).filter((d) => d > 0).sort((a, b) => a - b);
  const usual = steps.length ? steps[Math.floor(steps.length / 2)] : 0;
  const W = Math.max(260, box.clientWidth - 2), H = 130;
  const L = 64, R = 12, T = 10, B = 24; // room for the y ticks and the time labels
  const x = (t) => L + ((t - t0) / (t1 - t0 || 1)) * (W - L - R);
  const ticks = t1 > t0 ? [t0, (t0 + t1) / 2, t1] : [t0];
  const panels = shown.map((c) => {
    const vals = ordered.map((r) => r[c]).filter((v) => typeof v === "number");
    let lo = Math.min(...vals), hi = Math.max(...vals);
    const scored = c === "ANOMALY_SCORE";
    if (scored) { lo = Math.min(lo, th.value); hi = Math.max(hi, th.value); }
    if (lo === hi) { lo -= 1; hi += 1; }
    const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    // The line, broken at missing values and at gaps in time.
    let d = "", prev = null;
    const dots = [];
    ordered.forEach((r, j) => {
      const v = r[c];
      if (typeof v !== "number") return void (prev = null);
      const broken = prev === null || (usual > 0 && times[j] - times[prev] > 3 * usual);
      d += `${broken ? "M" : "L"}${x(times[j]).toFixed(1)},${y(v).toFixed(1)}`;
      prev = j;
    });
    // A point with no neighbour on either side would be invisible as a line.
    ordered.forEach((r, j) => {
      if (typeof r[c] !== "number") return;
      const joined = (k) => k >= 0 && k < ordered.length && typeof ordered[k][c] === "number" && !(usual > 0 && Math.abs(times[k] - times[j]) > 3 * usual);
      if (!joined(j - 1) && !joined(j + 1)) dots.push(svg("circle", { class: "point", cx: x(times[j]), cy: y(r[c]), r: 2.5 }));
    });
    const marks = ordered.map((r, j) => (isAnomaly(r, th) && typeof r[c] === "number"
      ? svg("circle", { class: "anomaly", cx: x(times[j]), cy: y(r[c]), r: 4.5 }, svg("title", {}, `anomaly at ${clock(times[j])}: ${c} ${num(r[c])}, score ${num(r.ANOMALY_SCORE)}`))
      : null));
    const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${c} over application time, from ${num(lo)} to ${num(hi)}` },
      svg("g", { class: "axis y" },
        svg("line", { x1: L, y1: T, x2: L, y2: H - B }),
        svg("text", { class: "tick max", x: L - 6, y: y(hi) + 4, "text-anchor": "end" }, num(hi)),
        svg("text", { class: "tick min", x: L - 6, y: y(lo), "text-anchor": "end" }, num(lo))),
      svg("g", { class: "axis x" },
        svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B }),
        ticks.map((t, i) => svg("text", { class: "tick time", x: x(t), y: H - 6, "text-anchor": ticks.length === 1 ? "start" : ["start", "middle", "end"][i] }, clock(t)))),
      scored ? svg("g", { class: "threshold" },
        svg("line", { x1: L, y1: y(th.value), x2: W - R, y2: y(th.value) }),
        svg("text", { x: W - R - 2, y: y(th.value) - 4, "text-anchor": "end" }, `threshold ${num(th.value)}`)) : null,
      svg("path", { class: "series", d }), dots, marks);
    const n = marks.filter(Boolean).length;
    return h("figure", { class: "panel", "data-column": c },
      h("figcaption", {}, h("strong", {}, c), " ", h("span", { class: "muted" }, n ? `${n} ${n === 1 ? "anomaly" : "anomalies"} marked` : "")),
      g);
  });
  box.querySelector(".panels").replaceChildren(...panels, h("p", { class: "muted axis-note" }, shown.length ? "Time is application time (ROWTIME, UTC)." : "No column ticked."));
}
