// Signature Version 4 for the console's requests: a header signature for
// the AWS APIs, a presigned URL for the console's own endpoints (an
// EventSource cannot set headers). SHA-256 and HMAC are written here, in
// plain JavaScript, because WebCrypto exists only in secure contexts and
// a server on another host may be served over plain HTTP.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const utf8 = (s) => (typeof s === "string" ? new TextEncoder().encode(s) : s);

// sha256 hashes bytes (or a string, as UTF-8).
export function sha256(input) {
  const data = utf8(input);
  const len = data.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000));
  view.setUint32(padded.length - 4, (len << 3) >>> 0);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [h, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  H.forEach((v, i) => ov.setUint32(4 * i, v));
  return out;
}

function hmac(key, msg) {
  let k = utf8(key);
  if (k.length > 64) k = sha256(k);
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + utf8(msg).length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(utf8(msg), 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

function scope(date, region, service) {
  return `${date.slice(0, 8)}/${region}/${service}/aws4_request`;
}

function signature(secret, date, region, service, canonical) {
  const toSign = ["AWS4-HMAC-SHA256", date, scope(date, region, service), hex(sha256(canonical))].join("\n");
  let key = hmac("AWS4" + secret, date.slice(0, 8));
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  return hex(hmac(key, toSign));
}

const amzDate = () => new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");

// signHeaders returns the headers that sign a request of body to path.
export function signHeaders(creds, region, service, method, path, headers, body) {
  const date = amzDate();
  const all = { ...headers, host: location.host, "x-amz-date": date };
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonicalPath = path.split("/").map(encode).join("/");
  const canonical = [method, canonicalPath, "", names.map((n) => `${n}:${lower[n]}\n`).join(""), names.join(";"), hex(sha256(body))].join("\n");
  const sig = signature(creds.secret, date, region, service, canonical);
  const out = { ...headers, "X-Amz-Date": date };
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${creds.id}/${scope(date, region, service)}, SignedHeaders=${names.join(";")}, Signature=${sig}`;
  return out;
}

// presign returns path?query with a query-string signature (5 minutes).
export function presign(creds, region, service, method, pathAndQuery) {
  const date = amzDate();
  const [path, query = ""] = pathAndQuery.split("?");
  const params = new URLSearchParams(query);
  params.set("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  params.set("X-Amz-Credential", `${creds.id}/${scope(date, region, service)}`);
  params.set("X-Amz-Date", date);
  params.set("X-Amz-Expires", "300");
  params.set("X-Amz-SignedHeaders", "host");
  const pairs = [...params.entries()].map(([k, v]) => [encode(k), encode(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  const canonicalQuery = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  // SigV4 (outside S3) encodes each path segment once more: the path as
  // sent is already encoded, so "MY OUT" signs as MY%2520OUT.
  const canonicalPath = path.split("/").map(encode).join("/");
  const canonical = [method, canonicalPath, canonicalQuery, `host:${location.host}\n`, "host", "UNSIGNED-PAYLOAD"].join("\n");
  return `${path}?${canonicalQuery}&X-Amz-Signature=${signature(creds.secret, date, region, service, canonical)}`;
}
