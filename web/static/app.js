// An application's page, a tab for each part of the task as the service's
// console had them: Source, SQL, Real-time analytics, Destinations and
// Monitoring. The tab is in the address (#/app/NAME/sql), so a reload or
// an action keeps the user where they were.

import { ROLE, analytics, field, h, listStreams, own, route, showFieldError, streamARN, toast, told } from "./ui.js";
import { liveSection, stopLive } from "./live.js";
import { monitoringSection, outputsSection } from "./outputs.js";

let flash = ""; // a message for the next application page (set before route())

const TABS = [["source", "Source"], ["sql", "SQL"], ["analytics", "Real-time analytics"], ["destinations", "Destinations"], ["monitoring", "Monitoring"]];

// firstTab is where an application's page opens without a tab named: at
// the next step of the task (a source to connect, SQL to write), else its
// rows when it runs.
function firstTab(d) {
  if (!d.InputDescriptions.length) return "source";
  if (!d.ApplicationCode) return "sql";
  return d.ApplicationStatus === "RUNNING" ? "analytics" : "sql";
}

export async function appPage(name, tab, show) {
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

  // The tabs (the WAI-ARIA tabs pattern: arrow keys move between them).
  // Panels are built once, but the live view, which holds a connection
  // open, only while its tab is shown.
  const tablist = h("div", { class: "tabs app-tabs", role: "tablist", "aria-label": `Parts of ${name}` });
  const panels = {};
  const build = {
    source: () => sourceSection(d),
    sql: () => sqlSection(d),
    analytics: () => (running ? liveSection(name, d.ApplicationCode || "")
      : h("section", {}, h("h2", {}, "Real-time analytics"), h("p", { class: "muted empty" }, "Start the application to see its in-application streams live."))),
    destinations: () => outputsSection(d),
    monitoring: () => monitoringSection(d),
  };
  const select = (id, focus = false) => {
    for (const b of tablist.children) {
      const on = b.dataset.tab === id;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    }
    // The live view starts afresh each time its tab is shown, and closes when another is.
    stopLive();
    panels.analytics.replaceChildren(id === "analytics" ? build.analytics() : "");
    for (const [k, p] of Object.entries(panels)) p.hidden = k !== id;
    history.replaceState(null, "", `#/app/${encodeURIComponent(name)}/${id}`);
  };
  for (const [id, label] of TABS) {
    tablist.append(h("button", { role: "tab", id: `tab-${id}`, "data-tab": id, "aria-controls": `panel-${id}`, onclick: () => select(id) }, label));
    panels[id] = h("div", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: true }, id === "analytics" ? null : build[id]());
  }
  tablist.addEventListener("keydown", (e) => {
    const ids = TABS.map(([id]) => id);
    const at = ids.indexOf(document.activeElement.dataset.tab);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: ids.length - 1 }[e.key];
    if (at < 0 || to === undefined) return;
    e.preventDefault();
    select(ids[(to + ids.length) % ids.length], true);
  });
  if (!show(header, h("p", { class: "muted" }, d.ApplicationDescription || ""), failure, actions, actionError, tablist, ...Object.values(panels))) return;
  select(TABS.some(([id]) => id === tab) ? tab : firstTab(d));
}

async function start(d, position) {
  await analytics("StartApplication", { ApplicationName: d.ApplicationName,
    InputConfigurations: d.InputDescriptions.map((i) => ({ Id: i.InputId, InputStartingPositionConfiguration: { InputStartingPosition: position } })) });
}


// inputStream is where an input reads: its kind and stream name.
function inputStream(input) {
  if (input.KinesisFirehoseInputDescription) return { kind: "firehose", name: input.KinesisFirehoseInputDescription.ResourceARN.replace(/^.*\//, "") };
  return { kind: "kinesis", name: ((input.KinesisStreamsInputDescription || {}).ResourceARN || "").replace(/^.*\//, "") };
}

// sourceSection shows the input, or a form to connect one. A stopped
// application's input can be changed (stream, columns), as the service
// allowed; a running one's is shown only.
function sourceSection(d) {
  const sec = h("section", { "aria-labelledby": "source-title" }, h("h2", { id: "source-title" }, "Source"));
  const input = d.InputDescriptions[0];
  if (!input) {
    sec.append(sourceForm(d, null));
    return sec;
  }
  const showInput = () => {
    const from = inputStream(input);
    sec.replaceChildren(h("h2", { id: "source-title" }, "Source"),
      h("p", {}, "Reads ", h("strong", {}, from.name), ` (${from.kind === "firehose" ? "delivery" : "data"} stream) into `, input.InAppStreamNames.join(", "), "."),
      columnsTable(input.InputSchema.RecordColumns),
      d.ApplicationStatus === "RUNNING"
        ? h("p", { class: "muted", id: "source-locked" }, "Stop the application to change its source.")
        : h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: () => {
          sec.replaceChildren(h("h2", { id: "source-title" }, "Change the source"), sourceForm(d, input, showInput));
        } }, "Edit source")));
  };
  showInput();
  return sec;
}

// sourceForm picks a stream and its columns: discovered from its records
// (DiscoverInputSchema), then editable. Given an input, it changes that
// input (UpdateApplication); else it connects one (AddApplicationInput).
function sourceForm(d, input, cancel) {
  const select = h("select", {});
  let format = input ? input.InputSchema.RecordFormat : null;
  let encoding = input ? input.InputSchema.RecordEncoding : null;
  const columns = h("div", { id: "columns" });
  const save = h("button", { type: "button", onclick: () => connect() }, input ? "Save source" : "Connect source");
  let editor = null;
  const showColumns = (cols, sample) => {
    editor = columnsEditor(cols);
    columns.replaceChildren(editor.el, sample || "", h("div", { class: "row" }, save,
      cancel ? h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel") : null));
  };
  const discover = h("button", { type: "button", class: "secondary", onclick: async () => {
    showFieldError("source-stream", "");
    const [kind, stream] = select.value.split(":");
    if (!stream) return showFieldError("source-stream", "Pick a stream.");
    try {
      const found = await analytics("DiscoverInputSchema", { ResourceARN: streamARN(kind, stream), RoleARN: ROLE,
        InputStartingPositionConfiguration: { InputStartingPosition: "NOW" } });
      format = found.InputSchema.RecordFormat;
      encoding = found.InputSchema.RecordEncoding;
      showColumns(found.InputSchema.RecordColumns,
        h("p", { class: "muted" }, `From ${(found.RawInputRecords || []).length} records, e.g. `, h("code", {}, (found.RawInputRecords || [""])[0])));
    } catch (err) {
      showFieldError("source-stream", err.message);
    }
  } }, input ? "Discover the schema again" : "Discover schema");
  async function connect() {
    showFieldError("source-stream", "");
    const [kind, stream] = select.value.split(":");
    if (!stream) return showFieldError("source-stream", "Pick a stream.");
    const cols = editor.read();
    if (!cols.length) return showFieldError("source-stream", "The source needs at least one column.");
    const schema = { RecordFormat: format, RecordColumns: cols };
    if (encoding) schema.RecordEncoding = encoding;
    const arn = { ResourceARN: streamARN(kind, stream), RoleARN: ROLE };
    const key = kind === "firehose" ? "KinesisFirehoseInput" : "KinesisStreamsInput";
    try {
      if (input) {
        await told(`Saved the source of ${d.ApplicationName}: ${stream}.`, "Could not change the source", () => analytics("UpdateApplication", {
          ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId,
          ApplicationUpdate: { InputUpdates: [{ InputId: input.InputId, [`${key}Update`]: { ResourceARNUpdate: arn.ResourceARN, RoleARNUpdate: ROLE },
            InputSchemaUpdate: { RecordFormatUpdate: format, RecordColumnUpdates: cols, ...(encoding ? { RecordEncodingUpdate: encoding } : {}) } }] } }));
      } else {
        await told(`Connected ${stream} as the source of ${d.ApplicationName}.`, `Could not connect ${stream}`,
          () => analytics("AddApplicationInput", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId,
            Input: { NamePrefix: "SOURCE_SQL_STREAM", [key]: arn, InputSchema: schema, InputParallelism: { Count: 1 } } }));
      }
      route();
    } catch (err) {
      showFieldError("source-stream", err.message);
    }
  }
  const wrap = h("div", {}, h("div", { class: "row" }, field("Stream", select, "source-stream"), h("div", {}, discover)), columns);
  const current = input ? inputStream(input) : null;
  if (input) showColumns(input.InputSchema.RecordColumns);
  listStreams().then((streams) => {
    select.replaceChildren(h("option", { value: "" }, "Pick a stream…"), ...streams.map((s) =>
      h("option", { value: `${s.kind}:${s.name}`, selected: current && current.kind === s.kind && current.name === s.name }, `${s.name} (${s.kind === "firehose" ? "delivery" : "data"} stream)`)));
  });
  return wrap;
}

function columnsTable(cols) {
  return h("table", { class: "columns-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Column"), h("th", {}, "SQL type"), h("th", {}, "Mapping"))),
    h("tbody", {}, cols.map((c) => h("tr", {}, h("td", {}, c.Name), h("td", {}, c.SqlType), h("td", {}, c.Mapping || "")))));
}

// columnsEditor edits a schema's columns: each one's name, SQL type and
// mapping, columns added and removed.
function columnsEditor(cols) {
  const body = h("tbody");
  const row = (c) => {
    const tr = h("tr", {}, [["Name", "Column name"], ["SqlType", "SQL type"], ["Mapping", "Mapping"]].map(([k, label]) =>
      h("td", {}, h("input", { value: c[k] || "", "aria-label": label, "data-key": k }))),
    h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove the column ${c.Name || ""}`.trim(), onclick: () => tr.remove() }, "×")));
    return tr;
  };
  body.append(...cols.map(row));
  const el = h("div", {}, h("table", { class: "columns-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Column"), h("th", {}, "SQL type"), h("th", {}, "Mapping"), h("th", {}, ""))), body),
    h("button", { type: "button", class: "secondary", onclick: () => {
      const tr = row({ SqlType: "VARCHAR(64)" });
      body.append(tr);
      tr.querySelector("input").focus();
    } }, "Add column"));
  const read = () => [...body.querySelectorAll("tr")].map((tr) => {
    const c = {};
    for (const i of tr.querySelectorAll("input")) c[i.dataset.key] = i.value.trim();
    return c;
  }).filter((c) => c.Name);
  return { el, read };
}

// sqlSection is the SQL editor: a fixed height with its own scroll, line
// numbers and highlighting; the errors of the last save listed beside it,
// each a link to its line; and the templates to start from.
function sqlSection(d) {
  const text = h("textarea", { id: "sql", spellcheck: "false", "aria-label": "Application SQL", "aria-describedby": "sql-errors" }, d.ApplicationCode || "");
  const shown = h("pre", { "aria-hidden": "true" });
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const paint = () => {
    shown.innerHTML = highlight(text.value) + "\n";
    shown.scrollTop = text.scrollTop;
    shown.scrollLeft = text.scrollLeft;
    gutter.scrollTop = text.scrollTop;
  };
  let bad = new Set();
  const numberLines = () => {
    const n = text.value.split("\n").length;
    gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h("div", { class: bad.has(i + 1) ? "bad" : null }, i + 1)), h("div", {}, " "));
    gutter.scrollTop = text.scrollTop;
  };
  text.addEventListener("input", () => { bad = new Set(); numberLines(); paint(); });
  text.addEventListener("scroll", paint);
  paint();
  numberLines();
  const errors = h("div", { class: "sql-errors", id: "sql-errors", role: "alert" });
  const problems = h("aside", { class: "sql-problems", "aria-labelledby": "sql-problems-title" },
    h("h3", { id: "sql-problems-title" }, "Errors"), errors, h("p", { class: "muted", id: "sql-no-errors" }, "None at the last save."));
  const setErrors = (list) => {
    errors.replaceChildren(...list);
    problems.querySelector("#sql-no-errors").hidden = list.length > 0;
  };
  // goTo puts the cursor on a line and column, scrolled into view.
  const goTo = (line, col) => {
    const lines = text.value.split("\n");
    let at = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
    at += Math.min(Math.max(col - 1, 0), (lines[line - 1] || "").length);
    text.focus();
    text.setSelectionRange(at, at);
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 20;
    text.scrollTop = Math.max(0, (line - 1) * lineHeight - text.clientHeight / 3);
    paint();
  };
  const save = h("button", { id: "sql-save", onclick: async () => {
    setErrors([]);
    bad = new Set();
    let saved = false;
    try {
      await analytics("UpdateApplication", { ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId,
        ApplicationUpdate: { ApplicationCodeUpdate: text.value } });
      saved = true;
      const starting = d.ApplicationStatus !== "RUNNING" && d.InputDescriptions.length;
      if (starting) await start(d, "NOW");
      toast(starting ? `Saved the SQL and started ${d.ApplicationName}.` : `Saved the SQL of ${d.ApplicationName}.`);
      // Running, its rows are what the user wants to see next.
      if (starting || d.ApplicationStatus === "RUNNING") location.hash = `#/app/${encodeURIComponent(d.ApplicationName)}/analytics`;
      else route();
    } catch (err) {
      if (saved) { // the code is in, with a new version: show the page anew, and why it did not start
        flash = `Saved, but not started: ${err.message}`;
        toast(flash, true);
        return route();
      }
      toast(err.type === "CodeValidationException" ? "Not saved: the SQL has errors (listed beside the editor)." : `Not saved: ${err.message}`, true);
      // Positions come as LINE:COLUMN: message, all of them, joined by
      // "; " (a message may hold a ";" itself: split only before a position).
      const found = err.type === "CodeValidationException"
        ? err.message.split(/; (?=\d+:\d+: )/).map((m) => m.match(/^(\d+):(\d+): ([\s\S]*)$/)).filter(Boolean)
        : [];
      if (found.length) {
        setErrors([h("ol", {}, found.map(([, line, col, msg]) => h("li", {}, h("a", { href: `#line-${line}`, class: "sql-error",
          onclick: (e) => { e.preventDefault(); goTo(Number(line), Number(col)); } }, `Line ${line}, column ${col}: ${msg.trim()}`))))]);
        bad = new Set(found.map(([, line]) => Number(line)));
      } else setErrors([h("p", {}, err.message)]);
      numberLines();
    }
  } }, d.InputDescriptions.length ? "Save and run" : "Save");
  return h("section", { "aria-labelledby": "sql-title" }, h("h2", { id: "sql-title" }, "SQL"),
    h("div", { class: "row" }, h("button", { type: "button", class: "secondary", id: "sql-templates", onclick: () => templates(d, text) }, "Add SQL from templates")),
    h("div", { class: "sql-layout" }, h("div", { class: "editor" }, gutter, h("div", { class: "code" }, shown, text)), problems),
    h("div", { class: "row" }, save, d.InputDescriptions.length ? null : h("span", { class: "muted" }, "Connect a source to run the SQL; its syntax is checked now.")),
    settleForm(d));
}

// settleForm sets the application's settle wait (Riffle's
// RiffleSettleMillis, docs/apps.md "Time").
function settleForm(d) {
  const input = h("input", { type: "number", min: "0", max: "60000", step: "1", value: String(d.RiffleSettleMillis ?? 500), "aria-describedby": "settle-help" });
  const save = h("button", { type: "button", class: "secondary", id: "settle-save", onclick: async () => {
    showFieldError("settle", "");
    const ms = Number(input.value);
    if (input.value === "" || !Number.isInteger(ms) || ms < 0 || ms > 60000) return showFieldError("settle", "A whole number of milliseconds, 0 (the default, 500) to 60000.");
    try {
      await told(`Set the settle wait of ${d.ApplicationName} to ${ms || 500} ms.`, "Could not set the settle wait", () => analytics("UpdateApplication", {
        ApplicationName: d.ApplicationName, CurrentApplicationVersionId: d.ApplicationVersionId, ApplicationUpdate: { RiffleSettleMillisUpdate: ms } }));
      route();
    } catch (err) {
      showFieldError("settle", err.message);
    }
  } }, "Save the wait");
  return h("div", { class: "settle" },
    h("div", { class: "row" }, field("Settle wait (ms)", input, "settle"), h("div", {}, save)),
    h("p", { class: "muted", id: "settle-help" }, "How long the clock waits for a record after its arrival before closing its window: a shorter wait gives rows sooner, "
      + "but a record stored later than that after its arrival goes to the next window. A running application takes a new wait at once."));
}

// templates offers the server's SQL templates, written for the
// application's own columns; one picked replaces the editor's text.
async function templates(d, text) {
  const list = h("div", { class: "templates" }, h("p", { class: "muted" }, "Loading the templates…"));
  const dialog = h("dialog", { class: "templates-dialog", "aria-labelledby": "templates-title" },
    h("div", { class: "row spread" }, h("h2", { id: "templates-title" }, "Add SQL from templates"),
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Close")),
    h("p", { class: "muted" }, d.InputDescriptions.length
      ? "Written for this application's source columns; the comments at the top of each say what to change."
      : "Written for a stock ticker stream (TICKER_SYMBOL, SECTOR, CHANGE, PRICE) until a source is connected."),
    list);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  try {
    const found = await own("GET", `/riffle/v1/applications/${encodeURIComponent(d.ApplicationName)}/sql-templates`);
    list.replaceChildren(...found.map((t) => h("article", { class: "template", "data-template": t.id },
      h("h3", {}, t.title), h("p", {}, t.description),
      h("details", {}, h("summary", {}, "The SQL"), h("pre", { class: "sample" }, t.sql)),
      h("button", { type: "button", onclick: () => {
        if (text.value.trim() && text.value !== t.sql && !confirm("Replace the SQL in the editor with this template? What the editor holds is lost unless saved.")) return;
        text.value = t.sql;
        text.dispatchEvent(new Event("input"));
        dialog.close();
        text.focus();
        toast(`Put the template "${t.title}" in the editor: Save and run to use it.`);
      } }, "Use this template"))));
  } catch (err) {
    list.replaceChildren(h("p", { class: "error", role: "alert" }, `Could not load the templates: ${err.message}`));
  }
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

