// Riffle's console: a small single-page app over the server's own APIs.
// Every action is one of the Kinesis Analytics, Firehose or Kinesis calls
// the CLI and SDKs make, so nothing here is the console's alone.

import { AUTH_ERRORS, analytics, call, field, h, heartbeat, isOffline, listStreams, own, secs, setRouter, showFieldError, toast, told } from "./ui.js";
import { stopLive } from "./live.js";
import { generatorPage } from "./generator.js";
import { appPage } from "./app.js";

const main = document.getElementById("main");

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

// ---- cluster ----

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

setRouter(route);

async function route() {
  const mine = ++navigation;
  // show draws a page unless a newer navigation began meanwhile; it says
  // whether it drew (a page that did not must change nothing more).
  const show = (...children) => {
    if (mine !== navigation) return false;
    render(...children);
    return true;
  };
  const [, page, arg, sub] = location.hash.split("/");
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
    else if (page === "app" && arg) await appPage(decodeURIComponent(arg), sub, show);
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
setInterval(() => { if (!isOffline() && !document.hidden) heartbeat(); }, 5000);
