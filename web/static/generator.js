// The generator's page: the Kinesis Data Generator in the console.

import { presign } from "./sigv4.js";
import { REGION, answer, creds, field, h, listStreams, own, reach, showFieldError, toast, told } from "./ui.js";

// The lab's senders (riffle gen --scenario lab), as the server gives them.
const GEN_SEEN = "riffle-generator"; // the senders this browser saw, and since when the server had them

// sendersList reads the server's senders and when its generator began
// (senders live in its memory: a new time means they were lost).
async function sendersList() {
  const resp = await reach(presign(creds(), REGION, "riffle", "GET", "/riffle/v1/generator/senders"));
  const since = resp.headers.get("Riffle-Generator-Since");
  return { list: await answer(resp), since };
}

export async function generatorPage(show) {
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
