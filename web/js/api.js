// The server's public HTTP: the JSON API under /api/v1/ and the log's tiles
// under /log/ (docs/OPERATIONS.md, "Public HTTP"), on this page's origin.

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function get(path) {
  let r;
  try {
    r = await fetch(path, { cache: "no-cache", credentials: "omit" });
  } catch (e) {
    throw new HttpError(0, `the server cannot be reached (${e.message})`);
  }
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try {
      const j = await r.json();
      if (j && j.error && j.error.message) msg = j.error.message;
    } catch {
      /* not JSON */
    }
    throw new HttpError(r.status, msg);
  }
  return r;
}

export async function json(path) {
  return (await get(path)).json();
}

export async function text(path) {
  return (await get(path)).text();
}

export async function bytes(path) {
  return new Uint8Array(await (await get(path)).arrayBuffer());
}

// Every item of a paged list (next_cursor), at most `max`.
export async function all(path, list, max = 10000) {
  const out = [];
  let cursor = "";
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await json(`${path}${sep}page_size=1000${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
    out.push(...(page[list] || []));
    cursor = page.next_cursor || "";
  } while (cursor && out.length < max);
  return out;
}

export const tender = (id) => json(`/api/v1/tenders/${encodeURIComponent(id)}`);
export const tenderVersion = (id, v) => json(`/api/v1/tenders/${encodeURIComponent(id)}?version=${v}`);
export const events = (id) => all(`/api/v1/tenders/${encodeURIComponent(id)}/events`, "events");
export const questions = (id) => all(`/api/v1/tenders/${encodeURIComponent(id)}/questions`, "questions");
export const awards = async (id) => (await json(`/api/v1/tenders/${encodeURIComponent(id)}/awards`)).awards || [];
// The complaints accepted for review (docs/COMPLAINTS.md), without who complained.
export const complaints = async (id) => (await json(`/api/v1/tenders/${encodeURIComponent(id)}/complaints`)).complaints || [];
export const documentUrl = (id, doc) => `/api/v1/tenders/${encodeURIComponent(id)}/documents/${encodeURIComponent(doc)}`;

export async function opening(id) {
  try {
    return await json(`/api/v1/tenders/${encodeURIComponent(id)}/opening`);
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

export const checkpoint = () => text("/log/checkpoint");
export const logKey = async () => (await text("/log-key")).trim();
export const tile = (path) => bytes(`/log/${path}`);

// The latest checkpoint the log's witnesses cosigned (docs/LOG.md,
// "Witnesses"), or null when none has yet (or the log has no witnesses).
export async function witnessedCheckpoint() {
  try {
    return await text("/log/witnessed/checkpoint");
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// The witnesses the log asks to cosign: {witnesses: [{name, verifier_key, ...}], quorum}.
export const witnesses = () => json("/api/v1/log/witnesses");
