// Verification in the browser: nothing is trusted because the server said
// so. With the pinned log key (keypin.js) and WebCrypto, a tender page
// checks that
//   - the latest checkpoint is signed by the pinned key and names its log;
//   - every event the page shows is, byte for byte, a leaf of the log, and
//     each leaf is included in that checkpoint (RFC 9162 proofs built from
//     the log's tiles), and no leaf naming the tender is left out;
//   - each published version, each answered question, the opening record and
//     the award the page shows hash (canonical MessagePack, SHA-256) to the
//     object_hash of the event that logged them, and the status follows from
//     the events; each document's content has its published SHA-256.
// and a bid receipt (the file tenderctl keeps in ~/.tender/bids/) is checked
// against today's log. Each check reports ok or failed with its reason;
// the C reference is tenderctl audit verify (client/record_verify*.c).

import * as api from "./api.js";
import { pinned, checkWitnesses } from "./keypin.js";
import { parseVerifierKey, verifyCheckpoint, cosigners } from "./note.js";
import { Tiles, leafHash, verifyInclusion } from "./merkle.js";
import { encode, decode } from "./msgpack.js";
import { equal, fromB64, sha256, utf8, toHex } from "./bytes.js";

const EVENT = "tender.events.v1.Event", TENDER = "tender.tenders.v1.Tender",
  QUESTION = "tender.tenders.v1.Question", OPENING = "tender.bids.v1.OpeningRecord",
  AWARD = "tender.awards.v1.Award";
const DOC_CHECK_MAX = 16 << 20;

class Failed extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

async function hashOf(full, obj) {
  return sha256(encode(full, obj));
}

// The pinned key and the latest checkpoint it verifies, with its tiles.
async function signedLog(report) {
  const p = pinned();
  if (!p) throw new Failed("v.key.none");
  let vk;
  try {
    vk = await parseVerifierKey(p.text);
  } catch (e) {
    throw new Failed("v.key.bad", { why: e.message });
  }
  report("key", true, "v.key.ok", { key: p.text });
  const note = await api.checkpoint();
  let cp;
  try {
    cp = await verifyCheckpoint(note, vk);
  } catch (e) {
    throw new Failed("v.cp.bad", { why: e.message });
  }
  report("checkpoint", true, "v.cp.ok", { size: cp.size, origin: cp.origin, root: toHex(cp.root).slice(0, 16) });
  return { vk, cp, tiles: new Tiles(cp.size, api.tile) };
}

// Who vouches that everyone sees this history: the latest witnessed
// checkpoint is signed by the log, cosigned by witnesses whose keys this
// browser pinned (each cosignature verified here), and today's log extends
// it (its root recomputed from today's tiles). A log without witnesses, or
// none pinned, is reported as such, not as a failure.
async function checkWitnessed(log, report) {
  const w = await checkWitnesses();
  const note = await api.witnessedCheckpoint();
  if (!note) return report("witnesses", null, "v.wit.none", {});
  if (!w.keys.length) return report("witnesses", null, "v.wit.nokeys", {});
  const wks = [];
  for (const k of w.keys) {
    try {
      wks.push(await parseVerifierKey(k, 0x04));
    } catch (e) {
      throw new Failed("v.wit.bad", { why: `${k}: ${e.message}` });
    }
  }
  let wcp, who;
  try {
    wcp = await verifyCheckpoint(note, log.vk);
    who = await cosigners(note, wks);
  } catch (e) {
    throw new Failed("v.wit.bad", { why: e.message });
  }
  if (!who.ok.length) throw new Failed("v.wit.bad", { why: who.bad.length ? `the cosignatures of ${who.bad.join(", ")} do not verify` : "no pinned witness cosigned it" });
  if (wcp.size > log.cp.size || (wcp.size > 0 && !equal(await log.tiles.mth(0, wcp.size), wcp.root)))
    throw new Failed("v.wit.fork", { size: wcp.size });
  const names = who.ok.map((c) => `${c.name} (${new Date(c.time * 1000).toISOString().replace(".000Z", "Z")})`).join(", ");
  report("witnesses", true, w.changed ? "v.wit.changed" : "v.wit.ok", { names, size: wcp.size, n: who.ok.length, of: wks.length });
}

// Leaf m is in the checkpoint: its inclusion proof from the tiles verifies.
async function included(log, m, leaf) {
  const h = await leafHash(leaf);
  const proof = await log.tiles.inclusionProof(m);
  await verifyInclusion(m, log.cp.size, h, proof, log.cp.root);
}

// A version: the first, an amendment, a postponement (outage rule), a
// resumption (a complaint's suspension of the deadline ended).
const publishes = (k) =>
  k === "TENDER_PUBLISHED" || k === "TENDER_AMENDED" || k === "TENDER_POSTPONED" ||
  k === "TENDER_RESUMED";
const AWARD_KINDS = ["AWARD_RECORDED", "AWARD_CANCELLED", "TENDER_COMPLETED", "TENDER_UNSUCCESSFUL"];

// The status the events lead to (client/record_verify.c, status_from_events).
// With lots, the tender is awarded while any lot's award is in its standstill.
export function statusFromEvents(events, withLots = false) {
  let s = "DRAFT", standing = 0;
  const to = {
    TENDER_PUBLISHED: "ACTIVE", TENDER_AMENDED: "ACTIVE", TENDER_POSTPONED: "ACTIVE",
    TENDER_RESUMED: "ACTIVE", TENDER_CANCELLED: "CANCELLED", TENDER_CLOSED: "CLOSED", BIDS_OPENED: "OPENED",
    AWARD_CANCELLED: "OPENED", AWARD_RECORDED: "AWARDED", TENDER_COMPLETED: "COMPLETE",
    TENDER_UNSUCCESSFUL: "UNSUCCESSFUL",
  };
  for (const e of events) {
    if (withLots && ["AWARD_RECORDED", "AWARD_CANCELLED", "LOT_COMPLETED"].includes(e.kind)) {
      if (e.kind === "AWARD_RECORDED") standing++;
      else if (standing) standing--;
      s = standing ? "AWARDED" : "OPENED";
    } else if (to[e.kind]) s = to[e.kind];
  }
  return s;
}

async function checkEvents(log, d, report) {
  for (const ev of d.events) {
    if (!Number.isSafeInteger(ev.seq) || ev.seq >= log.cp.size)
      throw new Failed("v.ev.beyond", { seq: ev.seq, size: log.cp.size });
    const leaf = await log.tiles.leaf(ev.seq);
    let shown;
    try {
      shown = encode(EVENT, ev);
    } catch (e) {
      throw new Failed("v.ev.differs", { seq: ev.seq, why: e.message });
    }
    if (!equal(shown, leaf)) throw new Failed("v.ev.differs", { seq: ev.seq, why: "" });
    try {
      await included(log, ev.seq, leaf);
    } catch (e) {
      throw new Failed("v.ev.notincluded", { seq: ev.seq, why: e.message });
    }
  }
  report("events", true, "v.ev.ok", { n: d.events.length, size: log.cp.size });
  await checkComplete(log, d, report);
}

// No event naming the tender is left out of what the page shows: every leaf
// from the tender's first event to the checkpoint's size is read, proved and
// looked at (bid events name no tender and are not counted here). Past
// COMPLETE_SCAN_MAX leaves this is left to tenderctl audit verify, and said.
const COMPLETE_SCAN_MAX = 4096;
async function checkComplete(log, d, report) {
  if (!d.events.length) return;
  const first = Math.min(...d.events.map((e) => e.seq)), span = log.cp.size - first;
  if (span > COMPLETE_SCAN_MAX) return report("complete", null, "v.ev.toomany", { n: span });
  const shown = new Set(d.events.map((e) => e.seq));
  for (let seq = first; seq < log.cp.size; seq++) {
    if (shown.has(seq)) continue;
    const leaf = await log.tiles.leaf(seq);
    try {
      await included(log, seq, leaf);
    } catch (e) {
      throw new Failed("v.ev.notincluded", { seq, why: e.message });
    }
    let ev;
    try {
      ev = decode(leaf);
    } catch (e) {
      throw new Failed("v.ev.notincluded", { seq, why: e.message });
    }
    if (ev && ev[4] === d.id) throw new Failed("v.ev.missing", { seq });
  }
  report("complete", true, "v.ev.complete", { from: first, last: log.cp.size - 1 });
}

async function checkVersions(d, report) {
  const versions = d.versions;
  if (!versions.length) return report("versions", null, "v.ver.none", {});
  for (const t of versions) {
    const evs = d.events.filter((e) => publishes(e.kind) && e.tender_version === t.version &&
      (e.kind === "TENDER_PUBLISHED") === (t.version === 1));
    if (evs.length !== 1) throw new Failed("v.ver.noevent", { v: t.version });
    if (t.id !== d.id || !equal(await hashOf(TENDER, t), fromB64(evs[0].object_hash)))
      throw new Failed("v.ver.differs", { v: t.version, seq: evs[0].seq });
  }
  const latest = versions[versions.length - 1];
  const cur = d.tender;
  if (cur.id !== d.id || !equal(encode("tender.tenders.v1.TenderFields", cur.fields), encode("tender.tenders.v1.TenderFields", latest.fields)))
    throw new Failed("v.ver.current", { v: latest.version });
  const want = statusFromEvents(d.events, ((latest.fields || {}).lots || []).length > 0);
  if (cur.status !== want) throw new Failed("v.status.bad", { shown: cur.status, want });
  report("versions", true, "v.ver.ok", { n: versions.length, status: cur.status });
}

async function checkQuestions(d, report) {
  for (const q of d.questions) {
    const ev = d.events.find((e) => e.kind === "QUESTION_ANSWERED" && e.object_id === q.id);
    if (!ev || !equal(await hashOf(QUESTION, q), fromB64(ev.object_hash))) throw new Failed("v.q.differs", { id: q.id });
  }
  report("questions", d.questions.length ? true : null, d.questions.length ? "v.q.ok" : "v.q.none", { n: d.questions.length });
}

async function checkOpening(d, report) {
  const ev = d.events.filter((e) => e.kind === "BIDS_OPENED").pop();
  if (!ev) return report("opening", null, "v.open.none", {});
  if (!d.opening || !equal(await hashOf(OPENING, d.opening), fromB64(ev.object_hash)))
    throw new Failed("v.open.differs", { seq: ev.seq });
  report("opening", true, "v.open.ok", { seq: ev.seq, n: (d.opening.bids || []).length });
}

async function checkAward(d, report) {
  const ev = d.events.filter((e) => AWARD_KINDS.includes(e.kind)).pop();
  if (!ev) return report("award", null, "v.award.none", {});
  const a = d.awards.find((x) => x.id === ev.object_id);
  if (!a || !equal(await hashOf(AWARD, a), fromB64(ev.object_hash)))
    throw new Failed("v.award.differs", { seq: ev.seq });
  report("award", true, "v.award.ok", { seq: ev.seq, id: a.id, state: a.state });
}

async function checkDocuments(d, report) {
  const docs = d.tender.documents || [];
  let n = 0;
  for (const doc of docs) {
    if (doc.size > DOC_CHECK_MAX) continue;
    const b = await api.bytes(api.documentUrl(d.id, doc.id));
    if (b.length !== doc.size || toHex(await sha256(b)) !== doc.sha256) throw new Failed("v.doc.differs", { name: doc.name });
    n++;
  }
  report("documents", docs.length ? true : null, docs.length ? "v.doc.ok" : "v.doc.none", { n, total: docs.length });
}

// Verify tender data as the page shows it: {id, tender, versions, events,
// questions, opening, awards}. report(check, ok (true, false, null: not
// applicable), messageKey, params). Resolves to true when every check passed.
export async function verifyTender(d, report) {
  try {
    const log = await signedLog(report);
    await checkWitnessed(log, report);
    await checkEvents(log, d, report);
    await checkVersions(d, report);
    await checkQuestions(d, report);
    await checkOpening(d, report);
    await checkAward(d, report);
    await checkDocuments(d, report);
    return true;
  } catch (e) {
    if (e instanceof Failed) report("failed", false, e.key, e.params);
    else report("failed", false, "v.error", { why: e.message });
    return false;
  }
}

// A bid file (tenderctl's DIR/TENDER/BID.bid: "KEY VALUE" lines) into its fields.
export function parseBidFile(text) {
  const f = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+) (\S+)$/.exec(line.trim());
    if (m) f[m[1]] = m[2];
  }
  if (!f.tender || !f.bid || !f.receipt) throw new Failed("v.rc.notfile");
  return f;
}

// The receipt's leaf is in today's log: its checkpoint was signed by the
// pinned key, today's log still holds that checkpoint's tree (its root
// recomputed from today's tiles), and the leaf is included today.
export async function verifyReceipt(fileText, report) {
  try {
    const f = parseBidFile(fileText);
    const raw = fromB64(f.receipt);
    let r;
    try {
      r = raw && decode(raw);
    } catch {
      r = null;
    }
    if (!r || typeof r !== "object") throw new Failed("v.rc.notfile");
    const [bidId, tenderId, leafIndex, leaf, note, secret] = [r[1], r[2], r[5] || 0, r[6], r[7], r[9]];
    if (bidId !== f.bid || tenderId !== f.tender || !(leaf instanceof Uint8Array) || typeof note !== "string")
      throw new Failed("v.rc.notfile");
    report("receipt", true, "v.rc.read", { bid: bidId, tender: tenderId, leaf: leafIndex });
    const log = await signedLog(report);
    let then;
    try {
      then = await verifyCheckpoint(note, log.vk);
    } catch (e) {
      throw new Failed("v.rc.cpbad", { why: e.message });
    }
    const ev = decode(leaf);
    if (ev[3] !== 10 && ev[3] !== 11) throw new Failed("v.rc.leafbad", { why: "not a bid event" });
    if (ev[7] !== bidId) throw new Failed("v.rc.leafbad", { why: "another bid's event" });
    const tag = await sha256(utf8("tender/1 bid tag"), new Uint8Array([0]), utf8(tenderId), new Uint8Array([0]), secret || new Uint8Array(0));
    if (!equal(tag, ev[10])) throw new Failed("v.rc.leafbad", { why: "its tag is not this tender's" });
    if (leafIndex >= then.size || then.size > log.cp.size) throw new Failed("v.rc.beyond", { size: then.size, now: log.cp.size });
    if (!equal(await log.tiles.mth(0, then.size), then.root)) throw new Failed("v.rc.fork", { size: then.size });
    if (!equal(await log.tiles.leaf(leafIndex), leaf)) throw new Failed("v.rc.notincluded", { why: "the log holds another leaf there" });
    try {
      await included(log, leafIndex, leaf);
    } catch (e) {
      throw new Failed("v.rc.notincluded", { why: e.message });
    }
    report("included", true, "v.rc.ok", { leaf: leafIndex, then: then.size, size: log.cp.size });
    return true;
  } catch (e) {
    if (e instanceof Failed) report("failed", false, e.key, e.params);
    else report("failed", false, "v.error", { why: e.message });
    return false;
  }
}

// The log page: the latest checkpoint verified, and the log only grew since
// the checkpoints this browser verified before (each one's root recomputed
// from today's tiles). history: [{size, root (base64), seen}] kept by the page.
export async function verifyLog(history, report) {
  try {
    const log = await signedLog(report);
    await checkWitnessed(log, report);
    for (const h of history) {
      if (h.size > log.cp.size) throw new Failed("v.log.shrank", { size: h.size, now: log.cp.size });
      if (h.size > 0 && !equal(await log.tiles.mth(0, h.size), fromB64(h.root))) throw new Failed("v.rc.fork", { size: h.size });
    }
    report("history", true, "v.log.ok", { n: history.length, size: log.cp.size });
    return log.cp;
  } catch (e) {
    if (e instanceof Failed) report("failed", false, e.key, e.params);
    else report("failed", false, "v.error", { why: e.message });
    return null;
  }
}
