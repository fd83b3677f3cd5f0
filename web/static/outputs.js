// An application's destinations and its figures: where its rows go and
// how the delivery goes, and the Monitoring tab. Both read the server's
// figures for the application (GET /riffle/v1/applications/APP/metrics),
// which are those of /metrics.

import { ACCOUNT, REGION, ROLE, analytics, field, h, listStreams, own, route, secs, showFieldError, streamARN, told } from "./ui.js";

const EVERY = 2000; // how often the figures are asked for, while shown

const metricsOf = (name) => own("GET", `/riffle/v1/applications/${encodeURIComponent(name)}/metrics`);

// watch calls fn now and every EVERY ms while el is on the page and shown
// (its tab open); it ends once el has left the page.
// One request at a time: a slow answer is not overtaken by the next (the
// rates would go backwards); a browser tab in the background asks nothing.
function watch(el, fn) {
  let pending = false;
  const tick = () => {
    if (!el.isConnected) return clearInterval(timer);
    if (pending || document.hidden || el.closest("[hidden]")) return;
    pending = true;
    fn().catch(() => {}).finally(() => { pending = false; }); // a failure shows in the next answer, or the offline banner
  };
  const timer = setInterval(tick, EVERY);
  queueMicrotask(tick);
}

// when writes a server time as a clock time, with how long before the
// server's own now it was.
function when(t, now) {
  if (!t) return "never";
  const ago = Math.max(0, (Date.parse(now) - Date.parse(t)) / 1000);
  return `${new Date(t).toISOString().slice(11, 19)} UTC (${secs(ago)} ago)`;
}

// health says how an output's delivery goes: failing when its last error
// came after its last success or with it (a batch partly refused),
// retrying while such rows wait.
function health(o) {
  const failing = o.lastErrorAt && (!o.lastSuccess || Date.parse(o.lastErrorAt) >= Date.parse(o.lastSuccess));
  if (failing) return o.inFlight > 0 ? "retrying" : "failing";
  return o.delivered > 0 ? "delivering" : "waiting for rows";
}

export function outputsSection(d) {
  const state = {}; // OutputId → its cells of delivery state
  const list = h("tbody", {}, (d.OutputDescriptions || []).map((o) => {
    const dest = o.LambdaOutputDescription || o.KinesisFirehoseOutputDescription || o.KinesisStreamsOutputDescription;
    const where = dest ? dest.ResourceARN : `file ${o.FileOutputDescription.Path}`;
    const cells = state[o.OutputId] = Object.fromEntries(["health", "delivered", "failed", "inFlight", "lastSuccess", "lastError"].map((k) =>
      [k, h("td", { class: `delivery ${k}`, "data-label": { health: "State", delivered: "Delivered", failed: "Failed attempts", inFlight: "Retrying or in flight", lastSuccess: "Last success", lastError: "Last error" }[k] }, "–")]));
    return h("tr", { "data-output": o.OutputId }, h("td", { class: "name" }, o.Name), h("td", { "data-label": "Destination" }, where),
      h("td", { "data-label": "Format" }, o.DestinationSchema.RecordFormatType), ...Object.values(cells),
      h("td", {}, h("button", { class: "danger", onclick: async () => {
        if (!confirm(`Remove the output of ${o.Name}?`)) return;
        try {
          await told(`Removed the output of ${o.Name}.`, `Could not remove the output of ${o.Name}`,
            () => analytics("DeleteApplicationOutput", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId, OutputId: o.OutputId }));
          route();
        } catch { /* the toast says why */ }
      } }, "Remove")));
  }));
  if (!(d.OutputDescriptions || []).length) list.append(h("tr", {}, h("td", { colspan: 10, class: "muted" }, "No destinations yet: rows stay in the application until one is connected.")));
  const note = h("p", { class: "muted", id: "delivery-note" });

  // The form picks from what the server knows: the SQL's streams, its
  // functions, its delivery and data streams; another function is named
  // by its ARN or URL.
  const streamPick = h("select", {}, h("option", { value: "DESTINATION_SQL_STREAM" }, "DESTINATION_SQL_STREAM"));
  const kind = h("select", {}, h("option", { value: "lambda" }, "Lambda function"), h("option", { value: "firehose" }, "Delivery stream"),
    h("option", { value: "kinesis" }, "Data stream"), h("option", { value: "file" }, "File"));
  const pick = h("select", {});
  const target = h("input", { autocomplete: "off" });
  const known = { lambda: [], firehose: [], kinesis: [] };
  const OTHER = "\u0000other";
  const choices = () => {
    const k = kind.value;
    if (k === "file") {
      pickWrap.hidden = true;
      targetLabel.textContent = "File (under the server's --output-dir)";
      target.parentElement.hidden = false;
      return;
    }
    pickWrap.hidden = false;
    const was = pick.value;
    pick.replaceChildren(...known[k].map((n) => h("option", { value: n, selected: n === was }, n)),
      k === "lambda" ? h("option", { value: OTHER }, "Another function: its ARN or URL…") : null);
    if (!pick.options.length) pick.append(h("option", { value: "" }, k === "firehose" ? "No delivery stream yet" : "No data stream yet"));
    targetLabel.textContent = "Function ARN or http(s) URL";
    typed();
  };
  // The ARN or URL field shows only for a function the server does not list.
  const typed = () => { target.parentElement.hidden = kind.value !== "file" && pick.value !== OTHER; };
  const pickWrap = h("div", { id: "out-pick-field" }, field("Function or stream", pick, "out-pick"));
  const form = h("form", { novalidate: true, "aria-label": "Connect a destination" }, h("div", { class: "row" },
    field("In-application stream", streamPick, "out-stream"),
    field("Destination", kind, "out-kind"),
    pickWrap,
    field("Function ARN or http(s) URL", target, "out-target"),
    field("Format", h("select", {}, h("option", {}, "JSON"), h("option", {}, "CSV")), "out-format"),
    h("div", {}, h("button", { type: "submit" }, "Connect"))));
  const targetLabel = form.querySelector('label[for="out-target"]');
  kind.addEventListener("change", choices);
  pick.addEventListener("change", typed);
  choices();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const k = kind.value;
    const byName = k === "file" || pick.value === OTHER;
    const name = byName ? target.value.trim() : pick.value;
    if (!name) return showFieldError(byName ? "out-target" : "out-pick", "Say where the rows go.");
    const out = { Name: streamPick.value, DestinationSchema: { RecordFormatType: document.getElementById("out-format").value } };
    if (k === "lambda") out.LambdaOutput = { ResourceARN: /^(https?:|arn:)/.test(name) ? name : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`, RoleARN: ROLE };
    if (k === "firehose") out.KinesisFirehoseOutput = { ResourceARN: streamARN("firehose", name), RoleARN: ROLE };
    if (k === "kinesis") out.KinesisStreamsOutput = { ResourceARN: streamARN("kinesis", name), RoleARN: ROLE };
    if (k === "file") out.FileOutput = { Path: name };
    try {
      await told(`Connected ${out.Name} to ${name}.`, `Could not connect ${out.Name} to ${name}`,
        () => analytics("AddApplicationOutput", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId, Output: out }));
      route();
    } catch (err) {
      showFieldError(byName ? "out-target" : "out-pick", err.message);
    }
  });
  const app = encodeURIComponent(d.ApplicationName);
  Promise.all([
    own("GET", `/riffle/v1/applications/${app}/streams?planned=true`).catch(() => []),
    own("GET", "/riffle/v1/functions").catch(() => []),
    listStreams().catch(() => []),
  ]).then(([streams, functions, all]) => {
    // The SQL's own streams but its source: those are the rows it makes.
    const mine = streams.filter((s) => !/^SOURCE_SQL_STREAM/.test(s));
    if (mine.length) {
      const was = streamPick.value;
      streamPick.replaceChildren(...mine.map((s) => h("option", { value: s, selected: s === was }, s)));
    }
    known.lambda = functions;
    known.firehose = all.filter((s) => s.kind === "firehose").map((s) => s.name);
    known.kinesis = all.filter((s) => s.kind === "kinesis").map((s) => s.name);
    choices();
  });

  const sec = h("section", { "aria-labelledby": "out-title" }, h("h2", { id: "out-title" }, "Destinations"),
    h("table", { class: "cards", id: "outputs" }, h("thead", {}, h("tr", {}, ["Stream", "Destination", "Format", "State", "Delivered", "Failed attempts", "Retrying or in flight", "Last success", "Last error", ""].map((c) => h("th", {}, c)))), list),
    note, h("h3", {}, "Connect a destination"), form);
  if ((d.OutputDescriptions || []).length) {
    watch(list, async () => {
      const m = await metricsOf(d.ApplicationName);
      note.textContent = m.runningHere ? "Delivery figures since the application started, from the server's metrics (riffle_destination_*)."
        : m.node ? `Runs on node ${m.node}: its delivery figures are on that node.` : "Not running: delivery figures appear once it runs.";
      // Figures of a run elsewhere, or of none, would be stale here.
      if (!m.runningHere) for (const c of Object.values(state)) for (const cell of Object.values(c)) cell.textContent = "–";
      for (const o of m.runningHere ? m.outputs || [] : []) {
        const c = state[o.outputId];
        if (!c) continue;
        const hl = health(o);
        c.health.textContent = hl;
        c.health.className = `delivery health ${hl.replace(/ /g, "-")}`;
        c.delivered.textContent = o.delivered;
        c.failed.textContent = o.failed;
        c.inFlight.textContent = o.inFlight;
        c.lastSuccess.textContent = when(o.lastSuccess, m.at);
        c.lastError.textContent = o.lastError ? `${o.lastError} (${when(o.lastErrorAt, m.at)})` : "none";
      }
    });
  }
  return sec;
}

// monitoringSection shows the application's figures as they change: the
// rates are the change between two answers over the server's time between
// them.
export function monitoringSection(d) {
  const figure = (id, label) => h("div", { class: "figure", id: `mon-${id}` }, h("div", { class: "label" }, label), h("div", { class: "value" }, "–"), h("div", { class: "sub muted" }, ""));
  const figures = h("div", { class: "figures" },
    figure("records", "Records in"), figure("lag", "Input lag"), figure("errors", "error_stream"),
    figure("checkpoint", "Checkpoint age"), figure("delivery", "Delivery"));
  const streams = h("tbody");
  const note = h("p", { class: "muted", id: "mon-note" }, "Loading the figures…");
  const sec = h("section", { "aria-labelledby": "mon-title" }, h("h2", { id: "mon-title" }, "Monitoring"), note, figures,
    h("h3", {}, "Rows per in-application stream"),
    h("table", { id: "mon-streams" }, h("thead", {}, h("tr", {}, h("th", {}, "Stream"), h("th", {}, "Rows"), h("th", {}, "Rows/s"))), streams),
    h("p", { class: "muted" }, "The same figures as /metrics: riffle_application_records_read_total, riffle_application_stream_rows_total, riffle_application_input_lag_messages, riffle_application_checkpoint_age_seconds and riffle_destination_*; counts start again when the application restarts. Rates are over the last 2 seconds of server time."));
  const set = (id, value, sub = "") => {
    const el = figures.querySelector(`#mon-${id}`);
    el.querySelector(".value").textContent = value;
    el.querySelector(".sub").textContent = sub;
  };
  let last = null;
  const rate = (now, before, seconds) => (before == null || seconds <= 0 || now < before ? "–" : `${num1((now - before) / seconds)}/s`);
  watch(sec, async () => {
    const m = await metricsOf(d.ApplicationName);
    if (!m.runningHere) {
      note.textContent = m.node ? `${d.ApplicationName} runs on node ${m.node}: its figures are on that node's console and /metrics.`
        : `${d.ApplicationName} is not running (${m.status}): start it to see its figures.`;
      figures.hidden = true;
      last = null;
      return;
    }
    figures.hidden = false;
    const seconds = last ? (Date.parse(m.at) - Date.parse(last.at)) / 1000 : 0;
    const before = (stream) => (last ? (last.streams.find((s) => s.name === stream) || {}).rows : undefined);
    note.textContent = `As of ${new Date(m.at).toISOString().slice(11, 19)} UTC (server time), every 2 seconds.`;
    set("records", rate(m.recordsRead, last && last.recordsRead, seconds), `${m.recordsRead} read since started${m.lateRecords ? `; ${m.lateRecords} late` : ""}`);
    set("lag", m.inputLagMessages == null ? "unknown" : `${m.inputLagMessages} messages`, "of its input stored and not yet read");
    const errs = (m.streams.find((s) => s.name === "error_stream") || { rows: 0 }).rows;
    set("errors", `${errs} rows`, errs ? "records it could not read or compute: see the error_stream tab" : "nothing went wrong");
    set("checkpoint", m.checkpointAgeSeconds == null ? "none yet" : secs(m.checkpointAgeSeconds), "since its last checkpoint");
    const outs = m.outputs || [];
    const bad = outs.filter((o) => ["failing", "retrying"].includes(health(o)));
    set("delivery", !outs.length ? "no destinations" : bad.length ? `${bad.length} of ${outs.length} failing` : `${outs.length} healthy`,
      bad.length ? bad.map((o) => o.lastError).join("; ") : `${outs.reduce((n, o) => n + o.delivered, 0)} rows delivered`);
    figures.querySelector("#mon-delivery").classList.toggle("bad", bad.length > 0);
    streams.replaceChildren(...m.streams.map((s) => h("tr", { "data-stream": s.name }, h("td", {}, s.name), h("td", { class: "rows-total" }, s.rows),
      h("td", { class: "rows-rate" }, rate(s.rows, before(s.name), seconds)))));
    last = m;
  });
  return sec;
}

// num1 writes a rate to one decimal, whole when it is.
const num1 = (v) => String(Math.round(v * 10) / 10);
