// Riffle's console: a small single-page app over the server's own APIs.
// Every action is one of the Kinesis Analytics, Firehose or Kinesis calls
// the CLI and SDKs make, so nothing here is the console's alone.

import { presign, signHeaders } from "./sigv4.js";

const main = document.getElementById("main");
const ROWS_KEPT = 200; // rows a live table keeps: the newest
const REGION = "us-east-1";
const ACCOUNT = "000000000000";

// ---- API ----

const targets = {
  kinesisanalytics: "KinesisAnalytics_20150814",
  firehose: "Firehose_20150804",
  kinesis: "Kinesis_20131202",
};

class APIError extends Error {
  constructor(type, message, status) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

// The key requests are signed with: one of the server's --auth file,
// entered once per browser session, or a placeholder that a server without
// --auth accepts.
function creds() {
  const saved = sessionStorage.getItem("riffle-credentials");
  return saved ? JSON.parse(saved) : { id: "console", secret: "console" };
}

const AUTH_ERRORS = new Set(["UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException", "MissingAuthenticationTokenException"]);

// answer reads a response: its JSON, or an APIError with the service's
// error type (AWS APIs) or the endpoint's message (the console's own).
async function answer(resp) {
  const text = await resp.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (!resp.ok) {
    throw new APIError((data.__type || "Error").replace(/^.*#/, ""), data.error || data.message || data.Message || resp.statusText, resp.status);
  }
  return data;
}

// reach fetches, saying in words that the server did not answer (the
// browser says only "Failed to fetch"); the page then shows it is offline.
async function reach(url, opts) {
  try {
    const resp = await fetch(url, opts);
    online();
    return resp;
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    offline();
    throw new APIError("Unreachable", unreachable(), 0);
  }
}

const unreachable = () => `Cannot reach riffle serve at ${location.origin}: is it still running? (Start it again with riffle serve.)`;

// While the server does not answer, a banner says so, every status on the
// page reads UNKNOWN (the page cannot know it any more), and the page asks
// again every 2 s; once the server answers, the page is loaded anew.
let probe = 0;
function offline() {
  const banner = document.getElementById("offline");
  banner.textContent = unreachable();
  banner.hidden = false;
  for (const el of document.querySelectorAll(".status")) {
    el.textContent = "UNKNOWN";
    el.className = "status UNKNOWN";
  }
  if (!probe) probe = setInterval(heartbeat, 2000);
}

function online() {
  const banner = document.getElementById("offline");
  if (banner.hidden) return;
  banner.hidden = true;
  clearInterval(probe);
  probe = 0;
  route();
}

// heartbeat asks the server for the console's page (no signature needed):
// an answer means it is back, no answer that it is still away.
async function heartbeat() {
  try {
    await fetch("/", { method: "HEAD", cache: "no-store" });
    online();
  } catch {
    offline();
  }
}

// call sends one operation, signed with SigV4 as the SDKs sign.
async function call(service, op, body) {
  const payload = JSON.stringify(body || {});
  const headers = signHeaders(creds(), REGION, service, "POST", "/", { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `${targets[service]}.${op}` }, payload);
  return answer(await reach("/", { method: "POST", headers, body: payload }));
}

// own calls one of the console's own endpoints: a GET through a presigned
// URL, anything else signed in its headers over its body.
async function own(method, path, body) {
  if (method === "GET") return answer(await reach(presign(creds(), REGION, "riffle", "GET", path)));
  const payload = body ? JSON.stringify(body) : "";
  const headers = signHeaders(creds(), REGION, "riffle", method, path, body ? { "Content-Type": "application/json" } : {}, payload);
  return answer(await reach(path, { method, headers, body: payload || undefined }));
}
const analytics = (op, body) => call("kinesisanalytics", op, body);

const streamARN = (kind, name) =>
  kind === "firehose" ? `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${name}` : `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;

async function listStreams() {
  const [fh, ks] = await Promise.all([call("firehose", "ListDeliveryStreams", { Limit: 100 }), call("kinesis", "ListStreams", { Limit: 100 })]);
  return [
    ...(fh.DeliveryStreamNames || []).map((name) => ({ name, kind: "firehose" })),
    ...(ks.StreamNames || []).map((name) => ({ name, kind: "kinesis" })),
  ];
}

// ---- DOM helpers ----

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

// field labels an input with a place for its error below, which a new
// value clears (an old message would be about a value no longer there).
function field(label, input, id) {
  input.id = id;
  input.addEventListener("input", () => showFieldError(id, ""));
  return h("div", {}, h("label", { for: id }, label), input, h("div", { class: "field-error", id: `${id}-error`, role: "alert" }));
}

function showFieldError(id, message) {
  const el = document.getElementById(`${id}-error`);
  if (el) el.textContent = message || "";
  const input = document.getElementById(id);
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
}

// toast says how an action went, in the #toasts live region (read out by
// screen readers): a success goes after a few seconds, a failure stays
// until dismissed (its words may be needed to fix it).
const TOAST_SECONDS = 5;
function toast(message, failed = false) {
  const el = h("div", { class: failed ? "toast bad" : "toast", role: failed ? "alert" : null }, h("span", {}, message));
  if (failed) el.append(h("button", { type: "button", "aria-label": "Dismiss", onclick: () => el.remove() }, "×"));
  else setTimeout(() => el.remove(), TOAST_SECONDS * 1000);
  const box = document.getElementById("toasts");
  box.append(el);
  // A quick run of actions keeps the newest three successes: older ones would cover the page.
  const ok = box.querySelectorAll(".toast:not(.bad)");
  for (let i = 0; i < ok.length - 3; i++) ok[i].remove();
}

// told runs an action and says how it went: done on success, failed and
// the error's words (the request helper's, "Cannot reach riffle serve at
// …" included) on failure; the error goes on to the caller's own handling.
async function told(done, failed, fn) {
  try {
    const out = await fn();
    toast(done);
    return out;
  } catch (err) {
    toast(`${failed}: ${err.message}`, true);
    throw err;
  }
}

function render(...children) {
  stopLive();
  main.replaceChildren(...children.filter((c) => c != null));
}

// A new submit starts with no old messages: each form's own handler then
// says what is wrong with this attempt.
main.addEventListener("submit", (e) => {
  for (const el of e.target.querySelectorAll(".field-error")) showFieldError(el.id.replace(/-error$/, ""), "");
}, true);

// Each navigation gets a number; a page that finishes loading after a newer
// navigation began draws nothing (it would cover the page the user went to).
let navigation = 0;
let flash = ""; // a message for the next application page (set before route())

// ---- pages ----

async function appsPage(show) {
  const table = h("tbody");
  const create = h("form", { novalidate: true, "aria-label": "Create an application" },
    h("div", { class: "row" },
      field("Name", h("input", { required: true, autocomplete: "off" }), "app-name"),
      field("Description", h("input", { autocomplete: "off" }), "app-description"),
      h("div", {}, h("button", { type: "submit" }, "Create application"))));
  create.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = document.getElementById("app-name").value.trim();
    showFieldError("app-name", "");
    if (!name) return showFieldError("app-name", "An application needs a name.");
    try {
      await told(`Created the application ${name}.`, `Could not create the application ${name}`,
        () => analytics("CreateApplication", { ApplicationName: name, ApplicationDescription: document.getElementById("app-description").value }));
      location.hash = `#/app/${encodeURIComponent(name)}`;
    } catch (err) {
      showFieldError("app-name", err.type === "ResourceInUseException" ? `An application named ${name} exists already.` : err.message);
    }
  });
  show(h("h1", {}, "Applications"), h("section", {}, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Status"))), table)),
    h("section", {}, h("h2", {}, "New application"), create));
  const { ApplicationSummaries = [] } = await analytics("ListApplications", { Limit: 50 });
  table.replaceChildren(...ApplicationSummaries.map((a) =>
    h("tr", {}, h("td", {}, h("a", { href: `#/app/${encodeURIComponent(a.ApplicationName)}` }, a.ApplicationName)),
      h("td", { class: `status ${a.ApplicationStatus}` }, a.ApplicationStatus))));
  if (!ApplicationSummaries.length) table.append(h("tr", {}, h("td", { colspan: 2, class: "muted" }, "No applications yet.")));
}

async function streamsPage(show) {
  const table = h("tbody");
  const form = h("form", { novalidate: true, "aria-label": "Create a stream" },
    h("div", { class: "row" },
      field("Name", h("input", { required: true, autocomplete: "off" }), "stream-name"),
      field("Kind", h("select", {}, h("option", { value: "firehose" }, "Delivery stream (Firehose)"), h("option", { value: "kinesis" }, "Data stream (Kinesis)")), "stream-kind"),
      h("div", { id: "stream-shards-field", hidden: true }, field("Shards", h("input", { type: "number", min: 1, max: 500, value: 1 }), "stream-shards")),
      h("div", {}, h("button", { type: "submit" }, "Create stream"))));
  // Shards are a data stream's only: a delivery stream has none.
  form.querySelector("#stream-kind").addEventListener("change", (e) => {
    form.querySelector("#stream-shards-field").hidden = e.target.value !== "kinesis";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = document.getElementById("stream-name").value.trim();
    const kind = document.getElementById("stream-kind").value;
    showFieldError("stream-name", "");
    if (!name) return showFieldError("stream-name", "A stream needs a name.");
    try {
      await told(`Created the stream ${name}.`, `Could not create the stream ${name}`, () => kind === "firehose"
        ? call("firehose", "CreateDeliveryStream", { DeliveryStreamName: name })
        : call("kinesis", "CreateStream", { StreamName: name, ShardCount: Number(document.getElementById("stream-shards").value) || 1 }));
      route();
    } catch (err) {
      showFieldError("stream-name", err.message);
    }
  });
  const sample = h("section", { "aria-live": "polite" }, h("p", { class: "muted" }, "Sample a stream to see its newest records."));
  show(h("h1", {}, "Streams"),
    h("section", {}, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Kind"), h("th", {}, ""))), table)),
    sample, h("section", {}, h("h2", {}, "New stream"), form));
  const streams = await listStreams();
  table.replaceChildren(...streams.map((s) => h("tr", {}, h("td", {}, s.name), h("td", {}, s.kind === "firehose" ? "delivery stream" : "data stream"),
    h("td", {}, h("button", { class: "secondary", onclick: async () => {
      const recs = await own("GET", `/riffle/v1/streams/${encodeURIComponent(s.name)}/records`);
      sample.replaceChildren(h("h2", {}, `Newest records of ${s.name}`),
        recs.length ? h("pre", { class: "sample", "aria-label": `records of ${s.name}` }, recs.map((r) => `${r.arrival}  ${r.data.trimEnd()}\n`).join("")) : h("p", { class: "muted" }, "No records yet."));
    } }, "Sample"), " ", h("button", { class: "danger", onclick: async () => {
      if (!confirm(`Delete the ${s.kind === "firehose" ? "delivery" : "data"} stream ${s.name} and its records?`)) return;
      try {
        await told(`Deleted the stream ${s.name}.`, `Could not delete the stream ${s.name}`, () => s.kind === "firehose"
          ? call("firehose", "DeleteDeliveryStream", { DeliveryStreamName: s.name })
          : call("kinesis", "DeleteStream", { StreamName: s.name }));
        route();
      } catch { /* the toast says why */ }
    } }, "Delete")))));
  if (!streams.length) table.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No streams yet.")));
}

async function appPage(name, show) {
  const { ApplicationDetail: d } = await analytics("DescribeApplication", { ApplicationName: name });
  const running = d.ApplicationStatus === "RUNNING";
  const header = h("div", { class: "row" },
    h("h1", {}, d.ApplicationName, " ", h("span", { class: `status ${d.ApplicationStatus}`, id: "app-status" }, d.ApplicationStatus)));
  const position = h("select", { id: "start-position", "aria-label": "Start position" },
    ["NOW", "TRIM_HORIZON", "LAST_STOPPED_POINT"].map((p) => h("option", { value: p }, p)));
  const actionError = h("div", { class: "error", role: "alert", id: "action-error" }, flash);
  flash = "";
  const actions = h("div", { class: "row" },
    running ? h("button", { class: "secondary", onclick: () => act(() => told(`Stopped ${name}.`, `Could not stop ${name}`,
      () => analytics("StopApplication", { ApplicationName: name }))) }, "Stop")
      : [position, h("button", { disabled: !d.InputDescriptions.length || !d.ApplicationCode, onclick: () => act(() => told(`Started ${name} from ${position.value}.`,
        `Could not start ${name}`, () => start(d, position.value))) }, "Start")],
    h("button", { class: "danger", onclick: () => act(async () => {
      if (!confirm(`Delete the application ${name}? A running application is stopped first.`)) return false;
      await told(`Deleted the application ${name}.`, `Could not delete ${name}`,
        () => analytics("DeleteApplication", { ApplicationName: name, CreateTimestamp: d.CreateTimestamp }));
      location.hash = "#/";
    }) }, "Delete"));
  async function act(fn) {
    actionError.textContent = "";
    try {
      if (await fn() === false) return; // not confirmed: nothing done
      route();
    } catch (err) {
      actionError.textContent = err.message;
    }
  }
  // Why the application stopped by itself (Riffle's RiffleFailure), until it starts again.
  const failure = d.RiffleFailure ? h("div", { class: "error", role: "status", id: "app-failure" },
    `${d.RiffleFailure.Message} (${new Date(d.RiffleFailure.Timestamp * 1000).toISOString()})`) : "";
  show(header, h("p", { class: "muted" }, d.ApplicationDescription || ""), failure, actions, actionError,
    sourceSection(d), sqlSection(d), running ? liveSection(name, d.ApplicationCode || "") : h("section", {}, h("h2", {}, "Real-time analytics"), h("p", { class: "muted" }, "Start the application to see its in-application streams live.")),
    outputsSection(d));
}

async function start(d, position) {
  await analytics("StartApplication", { ApplicationName: d.ApplicationName,
    InputConfigurations: d.InputDescriptions.map((i) => ({ Id: i.InputId, InputStartingPositionConfiguration: { InputStartingPosition: position } })) });
}

function sourceSection(d) {
  const sec = h("section", { "aria-labelledby": "source-title" }, h("h2", { id: "source-title" }, "Source"));
  const input = d.InputDescriptions[0];
  if (input) {
    const arn = (input.KinesisFirehoseInputDescription || input.KinesisStreamsInputDescription || {}).ResourceARN || "";
    sec.append(h("p", {}, "Reads ", h("strong", {}, arn.replace(/^.*\//, "")), " into ", input.InAppStreamNames.join(", "), "."),
      columnsTable(input.InputSchema.RecordColumns, false));
    return sec;
  }
  const select = h("select", {});
  const columns = h("div", { id: "columns" });
  let schema = null;
  const discover = h("button", { type: "button", class: "secondary", onclick: async () => {
    showFieldError("source-stream", "");
    const [kind, stream] = select.value.split(":");
    if (!stream) return showFieldError("source-stream", "Pick a stream.");
    try {
      const found = await analytics("DiscoverInputSchema", { ResourceARN: streamARN(kind, stream), RoleARN: `arn:aws:iam::${ACCOUNT}:role/riffle`,
        InputStartingPositionConfiguration: { InputStartingPosition: "NOW" } });
      schema = found.InputSchema;
      columns.replaceChildren(columnsTable(schema.RecordColumns, true),
        h("p", { class: "muted" }, `From ${(found.RawInputRecords || []).length} records, e.g. `, h("code", {}, (found.RawInputRecords || [""])[0])),
        h("button", { type: "button", onclick: connect }, "Connect source"));
    } catch (err) {
      showFieldError("source-stream", err.message);
    }
  } }, "Discover schema");
  async function connect() {
    const [kind, stream] = select.value.split(":");
    schema.RecordColumns = [...columns.querySelectorAll("tbody tr")].map((tr) => {
      const [n, t, m] = tr.querySelectorAll("input");
      return { Name: n.value, SqlType: t.value, Mapping: m.value };
    });
    const source = { ResourceARN: streamARN(kind, stream), RoleARN: `arn:aws:iam::${ACCOUNT}:role/riffle` };
    try {
      await told(`Connected ${stream} as the source of ${d.ApplicationName}.`, `Could not connect ${stream}`,
        () => analytics("AddApplicationInput", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId,
          Input: { NamePrefix: "SOURCE_SQL_STREAM", [kind === "firehose" ? "KinesisFirehoseInput" : "KinesisStreamsInput"]: source, InputSchema: schema, InputParallelism: { Count: 1 } } }));
      route();
    } catch (err) {
      showFieldError("source-stream", err.message);
    }
  }
  sec.append(h("div", { class: "row" }, field("Stream", select, "source-stream"), h("div", {}, discover)), columns);
  listStreams().then((streams) => {
    select.replaceChildren(h("option", { value: "" }, "Pick a stream…"), ...streams.map((s) => h("option", { value: `${s.kind}:${s.name}` }, `${s.name} (${s.kind === "firehose" ? "delivery" : "data"} stream)`)));
  });
  return sec;
}

function columnsTable(cols, editable) {
  const cell = (v, label) => (editable ? h("td", {}, h("input", { value: v, "aria-label": label })) : h("td", {}, v));
  return h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Column"), h("th", {}, "SQL type"), h("th", {}, "Mapping"))),
    h("tbody", {}, cols.map((c) => h("tr", {}, cell(c.Name, "Column name"), cell(c.SqlType, "SQL type"), cell(c.Mapping || "", "Mapping")))));
}

// The SQL editor: line numbers, and errors placed at their line.
function sqlSection(d) {
  const text = h("textarea", { id: "sql", spellcheck: "false", "aria-label": "Application SQL", "aria-describedby": "sql-errors" }, d.ApplicationCode || "");
  const shown = h("pre", { "aria-hidden": "true" });
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const paint = () => {
    shown.innerHTML = highlight(text.value) + "\n";
    shown.scrollTop = text.scrollTop;
    shown.scrollLeft = text.scrollLeft;
  };
  text.addEventListener("input", paint);
  text.addEventListener("scroll", paint);
  paint();
  const errors = h("div", { class: "field-error", id: "sql-errors", role: "alert" });
  let bad = new Set();
  const numberLines = () => {
    const n = text.value.split("\n").length;
    gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h("div", { class: bad.has(i + 1) ? "bad" : null }, i + 1)));
  };
  text.addEventListener("input", () => { bad = new Set(); numberLines(); });
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
  numberLines();
  const save = h("button", { onclick: async () => {
    errors.replaceChildren();
    bad = new Set();
    let saved = false;
    try {
      await analytics("UpdateApplication", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId,
        ApplicationUpdate: { ApplicationCodeUpdate: text.value } });
      saved = true;
      const starting = d.ApplicationStatus !== "RUNNING" && d.InputDescriptions.length;
      if (starting) await start(d, "NOW");
      toast(starting ? `Saved the SQL and started ${d.ApplicationName}.` : `Saved the SQL of ${d.ApplicationName}.`);
      route();
    } catch (err) {
      if (saved) { // the code is in, with a new version: show the page anew, and why it did not start
        flash = `Saved, but not started: ${err.message}`;
        toast(flash, true);
        return route();
      }
      toast(err.type === "CodeValidationException" ? "Not saved: the SQL has errors (listed under the editor)." : `Not saved: ${err.message}`, true);
      // Positions come as LINE:COLUMN: message, all of them, joined by
      // "; " (a message may hold a ";" itself: split only before a position).
      const found = err.type === "CodeValidationException"
        ? err.message.split(/; (?=\d+:\d+: )/).map((m) => m.match(/^(\d+):(\d+): ([\s\S]*)$/)).filter(Boolean)
        : [];
      if (found.length) {
        errors.replaceChildren(...found.map(([, line, col, msg]) => h("div", { class: "sql-error" }, `Line ${line}, column ${col}: ${msg.trim()}`)));
        bad = new Set(found.map(([, line]) => Number(line)));
      } else errors.textContent = err.message;
      numberLines();
    }
  } }, d.ApplicationStatus === "RUNNING" ? "Save and run" : d.InputDescriptions.length ? "Save and run" : "Save");
  return h("section", { "aria-labelledby": "sql-title" }, h("h2", { id: "sql-title" }, "SQL"),
    h("div", { class: "editor" }, gutter, h("div", { class: "code" }, shown, text)), errors, h("div", { class: "row" }, save));
}

const KEYWORDS = new Set(("select stream from where group by having order as and or not in is null create replace pump insert into " +
  "window over partition range rows between preceding following current row interval second minute hour day join on left right full " +
  "outer inner union all distinct case when then else end cast floor ceil step table cursor values with timestamp varchar char integer " +
  "bigint double real decimal boolean true false count sum avg min max like").split(" "));

// highlight marks the SQL's keywords, strings, quoted names, numbers and
// comments, escaping the rest.
function highlight(sql) {
  const esc = (s) => s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
  return sql.replace(/(--[^\n]*)|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)|([\s\S])/g, (m, com, str, id, num, word) => {
    if (com) return `<span class="com">${esc(com)}</span>`;
    if (str) return `<span class="str">${esc(str)}</span>`;
    if (id) return `<span class="id">${esc(id)}</span>`;
    if (num) return `<span class="num">${num}</span>`;
    if (word && KEYWORDS.has(word.toLowerCase())) return `<span class="kw">${word}</span>`;
    return esc(m);
  });
}

function outputsSection(d) {
  const list = h("tbody", {}, (d.OutputDescriptions || []).map((o) => {
    const dest = o.LambdaOutputDescription || o.KinesisFirehoseOutputDescription || o.KinesisStreamsOutputDescription;
    const where = dest ? dest.ResourceARN : `file ${o.FileOutputDescription.Path}`;
    return h("tr", {}, h("td", {}, o.Name), h("td", {}, where), h("td", {}, o.DestinationSchema.RecordFormatType),
      h("td", {}, h("button", { class: "danger", onclick: async () => {
        if (!confirm(`Remove the output of ${o.Name}?`)) return;
        try {
          await told(`Removed the output of ${o.Name}.`, `Could not remove the output of ${o.Name}`,
            () => analytics("DeleteApplicationOutput", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId, OutputId: o.OutputId }));
          route();
        } catch { /* the toast says why */ }
      } }, "Remove")));
  }));
  const form = h("form", { novalidate: true, "aria-label": "Connect a destination" }, h("div", { class: "row" },
    field("In-application stream", h("input", { value: "DESTINATION_SQL_STREAM" }), "out-stream"),
    field("Destination", h("select", {}, h("option", { value: "lambda" }, "Lambda function (name or URL)"), h("option", { value: "firehose" }, "Delivery stream"),
      h("option", { value: "kinesis" }, "Data stream"), h("option", { value: "file" }, "File")), "out-kind"),
    field("Function, stream or file", h("input", { autocomplete: "off" }), "out-target"),
    field("Format", h("select", {}, h("option", {}, "JSON"), h("option", {}, "CSV")), "out-format"),
    h("div", {}, h("button", { type: "submit" }, "Connect"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showFieldError("out-target", "");
    const kind = document.getElementById("out-kind").value;
    const target = document.getElementById("out-target").value.trim();
    if (!target) return showFieldError("out-target", "Say where the rows go.");
    const role = `arn:aws:iam::${ACCOUNT}:role/riffle`;
    const out = { Name: document.getElementById("out-stream").value.trim(), DestinationSchema: { RecordFormatType: document.getElementById("out-format").value } };
    if (kind === "lambda") out.LambdaOutput = { ResourceARN: /^(https?:|arn:)/.test(target) ? target : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${target}`, RoleARN: role };
    if (kind === "firehose") out.KinesisFirehoseOutput = { ResourceARN: streamARN("firehose", target), RoleARN: role };
    if (kind === "kinesis") out.KinesisStreamsOutput = { ResourceARN: streamARN("kinesis", target), RoleARN: role };
    if (kind === "file") out.FileOutput = { Path: target };
    try {
      await told(`Connected ${out.Name} to ${target}.`, `Could not connect ${out.Name} to ${target}`,
        () => analytics("AddApplicationOutput", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId, Output: out }));
      route();
    } catch (err) {
      showFieldError("out-target", err.message);
    }
  });
  return h("section", { "aria-labelledby": "out-title" }, h("h2", { id: "out-title" }, "Destinations"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Stream"), h("th", {}, "Destination"), h("th", {}, "Format"), h("th", {}, ""))), list), form);
}

// ---- live view ----

let live = null; // the open EventSource and its drawing loop

function stopLive() {
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

function liveSection(name, code) {
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

// ---- generator ----

// The lab's senders (riffle gen --scenario lab), as the server gives them.
const GEN_SEEN = "riffle-generator"; // the senders this browser saw, and since when the server had them

// sendersList reads the server's senders and when its generator began
// (senders live in its memory: a new time means they were lost).
async function sendersList() {
  const resp = await reach(presign(creds(), REGION, "riffle", "GET", "/riffle/v1/generator/senders"));
  const since = resp.headers.get("Riffle-Generator-Since");
  return { list: await answer(resp), since };
}

async function generatorPage(show) {
  const senders = h("tbody");
  const samples = h("div", { "aria-live": "polite" });
  const lost = h("div", { class: "error", role: "alert", id: "senders-lost", hidden: true });
  const streamSelect = h("select", {});
  const numField = (label, id, value, attrs = {}) => field(label, h("input", { type: "number", min: 0, step: "any", value, ...attrs }), id);
  const { lab } = await own("GET", "/riffle/v1/generator/presets");
  const presetOf = { Impression: "impressions", Click: "clicks", Burst: "burst-1" };
  // A preset fills the form with a lab sender's settings.
  const fill = (p) => {
    for (const [id, v] of [["gen-name", p.name], ["gen-template", p.template], ["gen-rate", p.rate], ["gen-count", p.count || 0], ["gen-seconds", p.seconds || 0],
      ["gen-start", p.start || 0], ["gen-every", p.every || 0], ["gen-until", p.until || 0]]) {
      document.getElementById(id).value = v;
      showFieldError(id, "");
    }
    if (p.start || p.every || p.until) document.getElementById("gen-schedule").open = true;
  };
  const presets = h("section", { "aria-labelledby": "presets-title" }, h("h2", { id: "presets-title" }, "The lab's senders"),
    h("p", { class: "muted" }, "As riffle gen --scenario lab: Impression and Click at 1 record/s for 8 minutes, and three Click bursts of 20 s at 1 record/s each, every 2 minutes from minute 3."),
    h("p", { class: "muted" }, "They send to the stream picked in the form below."),
    h("div", { class: "row" }, h("span", {}, "Fill the form as:"), Object.entries(presetOf).map(([label, name]) =>
      h("button", { type: "button", class: "secondary", onclick: () => fill(lab.find((p) => p.name === name)) }, label))),
    h("div", { class: "row" },
      numField("Records per sender (0: the lab's schedule)", "gen-lab-count", 0, { step: 1 }),
      h("div", {}, h("button", { type: "button", id: "gen-lab-start", onclick: startLab }, `Start the lab's ${lab.length} senders`))));
  const form = h("form", { novalidate: true, "aria-label": "Start a sender" },
    field("Template", h("textarea", { rows: 4, spellcheck: "false", style: "width:100%;font-family:monospace" },
      '{"browseraction":"{{random.arrayElement(["Click","Impression"])}}", "site": "yourwebsiteurl.domain.com"}'), "gen-template"),
    h("div", { class: "row" },
      field("Name", h("input", { value: "sender" }), "gen-name"),
      numField("Records per second", "gen-rate", 1),
      field("Stream", streamSelect, "gen-stream"),
      numField("Records (0: no limit)", "gen-count", 0, { step: 1 }),
      numField("Seconds (0: until stopped)", "gen-seconds", 0)),
    h("details", { id: "gen-schedule" }, h("summary", {}, "Schedule"), h("div", { class: "row" },
      numField("Start after (s)", "gen-start", 0), numField("Repeat every (s; 0: once)", "gen-every", 0), numField("End after (s; 0: never)", "gen-until", 0))),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: testTemplate }, "Test template"),
      h("button", { type: "submit" }, "Start sending")),
    samples);
  async function post(path, body) {
    return own("POST", path, body);
  }
  async function testTemplate() {
    showFieldError("gen-template", "");
    try {
      const { records } = await post("/riffle/v1/generator/test", { Template: document.getElementById("gen-template").value });
      samples.replaceChildren(h("h2", {}, "Five records"), h("pre", { class: "sample", id: "gen-samples" }, records.join("\n")));
    } catch (err) {
      showFieldError("gen-template", err.message);
    }
  }
  const value = (id) => Number(document.getElementById(id).value);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showFieldError("gen-template", "");
    showFieldError("gen-stream", "");
    const stream = streamSelect.value;
    if (!stream) return showFieldError("gen-stream", "Pick a stream.");
    const name = document.getElementById("gen-name").value;
    try {
      await told(`Started the sender ${name} to ${stream}.`, `Could not start the sender ${name}`,
        () => post("/riffle/v1/generator/senders", { name, template: document.getElementById("gen-template").value, stream,
          rate: value("gen-rate"), count: value("gen-count"), seconds: value("gen-seconds"), start: value("gen-start"), every: value("gen-every"), until: value("gen-until") }));
      refresh();
    } catch (err) {
      showFieldError("gen-template", err.message);
    }
  });
  // startLab starts the lab's senders to the form's stream: on the lab's
  // schedule, or, given a number of records, that many from each at once
  // (a quick check of a pipeline).
  async function startLab() {
    showFieldError("gen-stream", "");
    const stream = streamSelect.value;
    if (!stream) return showFieldError("gen-stream", "Pick a stream.");
    const n = value("gen-lab-count");
    try {
      for (const p of lab) {
        await post("/riffle/v1/generator/senders", n > 0 ? { name: p.name, template: p.template, stream, rate: p.rate, count: n } : { ...p, stream });
      }
      toast(`Started the lab's ${lab.length} senders to ${stream}.`);
    } catch (err) {
      toast(`Could not start the lab's senders: ${err.message}`, true);
    }
    refresh();
  }
  const act = (s, verb, fn) => async () => {
    try {
      await told(`${verb === "stop" ? "Stopped" : "Removed"} the sender ${s.name}.`, `Could not ${verb} the sender ${s.name}`, fn);
      refresh();
    } catch { /* the toast says why */ }
  };
  async function refresh() {
    const { list, since } = await sendersList();
    // Senders this browser saw under an earlier run of the server did not survive its restart: say so.
    const seen = JSON.parse(sessionStorage.getItem(GEN_SEEN) || "null");
    if (seen && seen.since !== since && seen.names.length) {
      lost.textContent = `riffle serve restarted (${since}): the senders ${seen.names.join(", ")} were lost with it, as senders live in the server's memory only. Start them again.`;
      lost.hidden = false;
    }
    sessionStorage.setItem(GEN_SEEN, JSON.stringify({ since, names: list.map((s) => s.name) }));
    const cell = (label, v, cls) => h("td", { "data-label": label, class: cls }, v);
    senders.replaceChildren(...list.map((s) => h("tr", { "data-sender": s.name }, cell("Name", s.name, "name"), cell("Stream", s.stream), cell("Rate", s.rate),
      cell("Sent", s.sent, "sent"), cell("Acknowledged", s.acknowledged, "acked"), cell("Failed", s.failed, "failed"), cell("State", s.state, `state ${s.state}`),
      h("td", {}, s.running
        ? h("button", { class: "secondary", onclick: act(s, "stop", () => post(`/riffle/v1/generator/senders/${s.id}/stop`, {})) }, "Stop")
        : h("button", { class: "secondary", onclick: act(s, "remove", () => own("DELETE", `/riffle/v1/generator/senders/${s.id}`)) }, "Remove")))));
    if (!list.length) senders.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No senders.")));
  }
  show(h("h1", {}, "Generator"),
    h("p", { class: "muted" }, "Kinesis Data Generator templates: {{random.number(100)}}, {{random.uuid}}, {{date.now(\"YYYY-MM-DD HH:mm:ss\")}}… Each record ends with a newline, as the KDG's do."),
    presets, h("section", {}, form),
    h("section", {}, h("h2", {}, "Senders"), lost,
      h("p", { class: "muted" }, "Senders run inside riffle serve: a restart of the server ends them, and they are not started again."),
      h("table", { id: "senders", class: "cards" }, h("thead", {}, h("tr", {}, ["Name", "Stream", "Rate", "Sent", "Acknowledged", "Failed", "State", ""].map((c) => h("th", {}, c)))), senders)));
  const streams = await listStreams();
  streamSelect.replaceChildren(h("option", { value: "" }, "Pick a stream…"), ...streams.map((s) => h("option", { value: s.name }, s.name)));
  await refresh();
  const timer = setInterval(() => (document.body.contains(senders) ? refresh().catch(() => {}) : clearInterval(timer)), 1000);
}

// ---- cluster ----

// secs writes a number of seconds as riffle cluster status does: 0s, 1.5s, 2m3.4s.
function secs(s) {
  const tenths = Math.round(s * 10) / 10;
  if (tenths < 60) return `${tenths}s`;
  return `${Math.floor(tenths / 60)}m${Math.round((tenths % 60) * 10) / 10}s`;
}

// The cluster's page is linked only on a node of a cluster (riffle serve
// --nats): another server answers its endpoint 404. body's data-cluster
// says what was found ("yes" or "no") once it is known.
let clusterKnown = false;
async function checkCluster() {
  if (clusterKnown) return;
  try {
    await own("GET", "/riffle/v1/cluster");
    document.getElementById("nav-cluster").hidden = false;
    document.body.dataset.cluster = "yes";
    clusterKnown = true;
  } catch (err) {
    if (err.status === 404) { // not a node; anything else (not signed in yet): ask again at the next page
      document.body.dataset.cluster = "no";
      clusterKnown = true;
    }
  }
}

// ownerText is a lease's owner as riffle cluster status writes it: with a
// move under way, or the application not yet running there.
function ownerText(a) {
  if (!a.owner) return "–";
  if (a.movingTo) return `${a.owner} → ${a.movingTo}`;
  if (a.state === "placed" || a.state === "starting") return `${a.owner} (${a.state})`;
  return a.owner;
}

// clusterPage shows the cluster as this node reads it from the shared
// buckets (GET /riffle/v1/cluster, as riffle cluster status), every 2 s.
async function clusterPage(show) {
  const nodes = h("tbody");
  const leases = h("tbody");
  const seen = h("p", { class: "muted", id: "cluster-seen" });
  const table = (id, cols, body) => h("table", { id }, h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, c)))), body);
  async function refresh() {
    const st = await own("GET", "/riffle/v1/cluster");
    seen.textContent = `As node ${st.node} sees it (lease TTL ${secs(st.leaseTTLSeconds)}). Ages are on this node's clock; ` +
      "a lease age reaching the TTL means its owner stopped renewing it, and another node takes the application over.";
    nodes.replaceChildren(...st.nodes.map((n) => h("tr", { "data-node": n.name }, h("td", {}, n.name), h("td", {}, n.applications),
      h("td", {}, `${secs(n.lastSeenSeconds)} ago`), h("td", {}, n.started.replace(/\.\d+Z$/, "Z")))));
    if (!st.nodes.length) nodes.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No live node.")));
    leases.replaceChildren(...st.applications.map((a) => h("tr", { "data-application": a.name },
      h("td", {}, h("a", { href: `#/app/${encodeURIComponent(a.name)}` }, a.name)), h("td", { class: `status ${a.status}` }, a.status),
      h("td", {}, ownerText(a)), h("td", {}, a.owner ? secs(a.leaseAgeSeconds) : "–"),
      h("td", { title: "messages (appended batches) of its input not yet fed, as its owner last measured" }, a.lagMessages ?? "–"))));
    if (!st.applications.length) leases.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No application is running.")));
  }
  await refresh(); // (a server that is no node answers 404: the page says so)
  show(h("h1", {}, "Cluster"), seen,
    h("section", { "aria-labelledby": "nodes-title" }, h("h2", { id: "nodes-title" }, "Nodes"),
      table("cluster-nodes", ["Node", "Applications", "Last seen", "Started"], nodes)),
    h("section", { "aria-labelledby": "leases-title" }, h("h2", { id: "leases-title" }, "Running applications"),
      h("p", { class: "muted" }, "Each runs on the one node that holds its lease (an owner of –: the next scan of a node takes it)."),
      table("cluster-leases", ["Application", "Status", "Owner", "Lease age", "Lag"], leases)));
  const timer = setInterval(() => (document.body.contains(nodes) ? refresh().catch(() => {}) : clearInterval(timer)), 2000);
}

// ---- router ----

async function route() {
  const mine = ++navigation;
  const show = (...children) => {
    if (mine === navigation) render(...children);
  };
  const [, page, arg] = location.hash.split("/");
  // The navigation marks where the user is (an application is under Applications).
  const current = ["streams", "generator", "cluster"].includes(page) ? page : "apps";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.page === current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  checkCluster();
  try {
    if (page === "streams") await streamsPage(show);
    else if (page === "generator") await generatorPage(show);
    else if (page === "cluster") await clusterPage(show);
    else if (page === "app" && arg) await appPage(decodeURIComponent(arg), show);
    else await appsPage(show);
    showUser();
  } catch (err) {
    if (mine !== navigation) return;
    if (AUTH_ERRORS.has(err.type)) return loginPage();
    showUser();
    render(h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, err.message),
      h("p", {}, h("a", { href: "#/", id: "back" }, "Back to the applications"), " · ", h("a", { href: location.hash || "#/", onclick: (e) => { e.preventDefault(); route(); } }, "Try again")));
  }
}

// showUser shows, once the server accepted the key, who the console signs
// as and a way to sign out; without --auth (no key entered) nothing.
function showUser() {
  const user = document.getElementById("user");
  const saved = sessionStorage.getItem("riffle-credentials");
  user.hidden = !saved;
  if (saved) document.getElementById("user-id").textContent = JSON.parse(saved).id;
}

document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem("riffle-credentials");
  stopLive();
  location.hash = "#/";
  loginPage();
});

// loginPage asks for a key of the server's --auth file; it is kept for
// this browser session only and never sent: requests carry signatures.
function loginPage() {
  // A key the server refused is kept in the form (its ID, not its secret),
  // so that a mistyped secret is typed again alone.
  const refused = sessionStorage.getItem("riffle-credentials");
  sessionStorage.removeItem("riffle-credentials");
  document.getElementById("user").hidden = true;
  const form = h("form", { novalidate: true, "aria-label": "Sign in" },
    field("Access key ID", h("input", { autocomplete: "username", value: refused ? JSON.parse(refused).id : null }), "login-id"),
    field("Secret access key", h("input", { type: "password", autocomplete: "current-password" }), "login-secret"),
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = document.getElementById("login-id").value.trim();
    const secret = document.getElementById("login-secret").value;
    if (!id || !secret) return showFieldError("login-secret", "Give both the access key ID and its secret.");
    sessionStorage.setItem("riffle-credentials", JSON.stringify({ id, secret }));
    route();
  });
  render(h("h1", {}, "Sign in"), h("p", {}, "This server checks request signatures (riffle serve --auth): sign with one of its keys."),
    refused ? h("p", { class: "error", role: "alert", id: "login-refused" }, "Wrong access key ID or secret: the server does not know this key, or the secret is not its secret.") : null,
    h("section", {}, form));
}

window.addEventListener("hashchange", route);
route();
// A page that shows state (a RUNNING status) checks every 5 s that the
// server still answers, so that it stops claiming it once it does not.
setInterval(() => { if (!probe && !document.hidden) heartbeat(); }, 5000);
