// The console's plumbing: requests to the server's APIs (signed with
// SigV4 as the SDKs sign), DOM helpers, and how actions say how they went.

import { presign, signHeaders } from "./sigv4.js";

export const REGION = "us-east-1";
export const ACCOUNT = "000000000000";
// ROLE is the role ARN requests that name one carry (the server checks no IAM).
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/riffle`;

// The router is the console's (console.js sets it): a page reloads itself,
// and the page comes back when the server does, through it.
let router = () => {};
export const setRouter = (fn) => { router = fn; };
export const route = () => router();

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
export function creds() {
  const saved = sessionStorage.getItem("riffle-credentials");
  return saved ? JSON.parse(saved) : { id: "console", secret: "console" };
}

export const AUTH_ERRORS = new Set(["UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException", "MissingAuthenticationTokenException"]);

// answer reads a response: its JSON, or an APIError with the service's
// error type (AWS APIs) or the endpoint's message (the console's own).
export async function answer(resp) {
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
export async function reach(url, opts) {
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
export const isOffline = () => probe !== 0;
export function offline() {
  const banner = document.getElementById("offline");
  banner.textContent = unreachable();
  banner.hidden = false;
  for (const el of document.querySelectorAll(".status")) {
    el.textContent = "UNKNOWN";
    el.className = "status UNKNOWN";
  }
  if (!probe) probe = setInterval(heartbeat, 2000);
}

export function online() {
  const banner = document.getElementById("offline");
  if (banner.hidden) return;
  banner.hidden = true;
  clearInterval(probe);
  probe = 0;
  route();
}

// heartbeat asks the server for the console's page (no signature needed):
// an answer means it is back, no answer that it is still away.
export async function heartbeat() {
  try {
    await fetch("/", { method: "HEAD", cache: "no-store" });
    online();
  } catch {
    offline();
  }
}

// call sends one operation, signed with SigV4 as the SDKs sign.
export async function call(service, op, body) {
  const payload = JSON.stringify(body || {});
  const headers = signHeaders(creds(), REGION, service, "POST", "/", { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `${targets[service]}.${op}` }, payload);
  return answer(await reach("/", { method: "POST", headers, body: payload }));
}

// own calls one of the console's own endpoints: a GET through a presigned
// URL, anything else signed in its headers over its body.
export async function own(method, path, body) {
  if (method === "GET") return answer(await reach(presign(creds(), REGION, "riffle", "GET", path)));
  const payload = body ? JSON.stringify(body) : "";
  const headers = signHeaders(creds(), REGION, "riffle", method, path, body ? { "Content-Type": "application/json" } : {}, payload);
  return answer(await reach(path, { method, headers, body: payload || undefined }));
}
export const analytics = (op, body) => call("kinesisanalytics", op, body);

export const streamARN = (kind, name) =>
  kind === "firehose" ? `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${name}` : `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;

export async function listStreams() {
  const [fh, ks] = await Promise.all([call("firehose", "ListDeliveryStreams", { Limit: 100 }), call("kinesis", "ListStreams", { Limit: 100 })]);
  return [
    ...(fh.DeliveryStreamNames || []).map((name) => ({ name, kind: "firehose" })),
    ...(ks.StreamNames || []).map((name) => ({ name, kind: "kinesis" })),
  ];
}

// ---- DOM helpers ----

export function h(tag, attrs = {}, ...children) {
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
export function field(label, input, id) {
  input.id = id;
  input.addEventListener("input", () => showFieldError(id, ""));
  return h("div", {}, h("label", { for: id }, label), input, h("div", { class: "field-error", id: `${id}-error`, role: "alert" }));
}

export function showFieldError(id, message) {
  const el = document.getElementById(`${id}-error`);
  if (el) el.textContent = message || "";
  const input = document.getElementById(id);
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
}

// toast says how an action went, in the #toasts live region (read out by
// screen readers): a success goes after a few seconds, a failure stays
// until dismissed (its words may be needed to fix it).
const TOAST_SECONDS = 5;
export function toast(message, failed = false) {
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
export async function told(done, failed, fn) {
  try {
    const out = await fn();
    toast(done);
    return out;
  } catch (err) {
    toast(`${failed}: ${err.message}`, true);
    throw err;
  }
}


// secs writes a number of seconds as riffle cluster status does: 0s, 1.5s, 2m3.4s.
export function secs(s) {
  const tenths = Math.round(s * 10) / 10;
  if (tenths < 60) return `${tenths}s`;
  return `${Math.floor(tenths / 60)}m${Math.round((tenths % 60) * 10) / 10}s`;
}
