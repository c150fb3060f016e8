// One tender: its facts, its lots (with their state) and items, versions and
// what changed, documents, questions and answers, the opening record, the award, the public complaints, its timeline
// in the log, and the
// Verify action and bid-receipt check (verify.js).

import * as api from "../api.js";
import { h, append, facts, table, section } from "../dom.js";
import { t, fmtDate, fmtMoney, fmtBytes, fmtNumber, fmtDay } from "../i18n.js";
import { statusBadge } from "./list.js";
import { verifyTender, verifyReceipt } from "../verify.js";

const FIELD_LABEL = {
  title: "col.tender", description: "t.description", classification: "t.cpv", method: "t.method",
  category: "t.category", estimated_value: "t.value", enquiry_deadline: "t.enquiry",
  submission_deadline: "t.deadline", opening_time: "t.opening", committee: "t.committee",
  award_criteria: "t.criteria", criteria: "t.criteria", lots: "t.lots", items: "t.items",
};

export async function load(id) {
  const tender = await api.tender(id);
  const versions = [];
  for (let v = 1; v <= tender.version; v++) versions.push(await api.tenderVersion(id, v));
  const [events, questions, opening, awards, complaints] = await Promise.all([
    api.events(id), api.questions(id), api.opening(id), api.awards(id), api.complaints(id)]);
  return { id, tender, versions, events, questions, opening, awards, complaints };
}

const time = (s) => (s ? h("time", { datetime: s }, fmtDate(s)) : "—");
const hashText = (hex) => h("code", { class: "hash", title: hex }, hex);
const short = (id) => (id && id.length > 14 ? id.slice(0, 12) + "…" : id);

// How a tender (or one lot: same field names) is awarded.
const criteriaText = (x) => (x.award_criteria === "WEIGHTED"
  ? `${t("t.weighted")}: ${(x.criteria || []).map((k) => `${k.name} ${k.weight}%`).join(", ")}`
  : t("t.lowest"));

// A cancellation's reason: the codelist's text (docs/PROTOCOL.md 10.5), then the officer's words.
function because(x) {
  const code = x.cancel_code && x.cancel_code !== "CANCEL_REASON_UNSPECIFIED" ? t(`cr.${x.cancel_code}`) : "";
  return code ? `${code}. ${x.cancel_reason}` : x.cancel_reason;
}

function keyFacts(d) {
  const x = d.tender, f = x.fields || {}, c = f.committee || {};
  const crit = (f.lots || []).length ? t("t.lot.perlot") : criteriaText(f);
  return facts([
    [t("t.id"), x.id],
    [t("t.buyer"), x.buyer],
    [t("t.value"), fmtMoney(f.estimated_value)],
    [t("t.cpv"), f.classification && f.classification.code],
    // Left unset, they are not shown (the schema's *_UNSPECIFIED has no words).
    [t("t.method"), f.method && f.method !== "METHOD_UNSPECIFIED" ? t(`m.${f.method}`) : null],
    [t("t.category"), f.category && f.category !== "CATEGORY_UNSPECIFIED" ? t(`c.${f.category}`) : null],
    [t("t.published"), time(x.published)],
    [t("t.enquiry"), f.enquiry_deadline ? time(f.enquiry_deadline) : null],
    [t("t.deadline"), time(f.submission_deadline)],
    [t("t.opening"), time(f.opening_time)],
    [t("t.version"), String(x.version)],
    [t("t.committee"), c.members ? t("t.committee.text", { k: c.threshold, n: c.members.length, names: c.members.map((m) => m.name).join(", ") }) : null],
    [t("t.criteria"), crit],
  ]);
}

function versions(d) {
  const items = d.versions.map((v, i) => {
    let what;
    if (i === 0) what = t("t.version.first");
    else {
      const prev = d.versions[i - 1].fields || {}, cur = v.fields || {};
      const changed = Object.keys({ ...prev, ...cur }).filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(cur[k]));
      what = changed.length ? t("t.version.changed", { fields: changed.map((k) => (FIELD_LABEL[k] ? t(FIELD_LABEL[k]) : k)).join(", ") }) : t("t.version.same");
    }
    return h("li", {}, h("strong", {}, t("t.version.n", { v: v.version })), " · ", time(v.updated || v.published), h("br"), what,
      v.amendment_note && i > 0 ? h("div", { class: "note" }, t("t.version.note", { note: v.amendment_note })) : null);
  });
  return section("versions", t("t.versions"), h("ol", { class: "versions" }, items));
}

// The lots (docs/LOTS.md), each with the server's state for it; none: one implicit lot.
function lots(d) {
  const x = d.tender, ls = (x.fields || {}).lots || [];
  if (!ls.length) return null;
  const stateOf = (id) => (x.lot_states || []).find((s) => s.lot_id === id);
  return section("lots", t("t.lots"), table(null, [t("t.lot.id"), t("t.lot.title"), t("t.value"), t("t.criteria"), t("t.lot.state")],
    ls.map((l) => {
      const st = stateOf(l.id);
      return [h("span", { class: "lot-id" }, l.id), [l.title, l.description ? h("div", { class: "muted" }, l.description) : null], fmtMoney(l.value), criteriaText(l),
        st ? [h("span", { class: `lot-state ${st.status.toLowerCase()}` }, t(`ls.${st.status}`)),
          st.cancel_reason ? h("div", { class: "note" }, t("t.cancel.reason"), ": ", because(st)) : null] : t("ls.DRAFT")];
    }), "lots"));
}

// What is bought: quantity and unit (UN/CEFACT Rec. 20 code), lot, CPV, delivery.
function items(d) {
  const f = d.tender.fields || {}, its = f.items || [];
  if (!its.length) return null;
  const withLots = (f.lots || []).length > 0;
  const day = (s) => (s ? fmtDay(s) : "…");
  return section("items", t("t.items"), table(null,
    [t("t.item.id"), t("t.description"), t("t.item.quantity"), ...(withLots ? [t("t.lot.id")] : []), t("t.cpv"), t("t.item.delivery")],
    its.map((i) => [i.id, i.description, i.quantity ? `${i.quantity} ${i.unit || ""}` : "—", ...(withLots ? [h("span", { class: "lot-id" }, i.lot_id)] : []),
      (i.classification && i.classification.code) || "—",
      i.delivery_place || i.delivery_start || i.delivery_end
        ? [i.delivery_place || "", i.delivery_start || i.delivery_end ? ` (${day(i.delivery_start)} – ${day(i.delivery_end)})` : ""] : "—"]), "items"));
}

function documents(d) {
  const docs = d.tender.documents || [];
  if (!docs.length) return section("documents", t("t.documents"), h("p", { class: "empty" }, t("t.doc.none")));
  return section("documents", t("t.documents"), table(null, [t("t.doc.name"), t("t.doc.type"), t("t.doc.size"), t("t.doc.sha")],
    docs.map((x) => [h("a", { href: api.documentUrl(d.id, x.id), download: x.name }, x.name), x.media_type, fmtBytes(x.size), hashText(x.sha256)]), "docs"));
}

function questions(d) {
  if (!d.questions.length) return section("questions", t("t.questions"), h("p", { class: "empty" }, t("t.q.none")));
  return section("questions", t("t.questions"), h("dl", { class: "qa" }, d.questions.map((q) => [
    h("dt", {}, q.text, h("span", { class: "meta" }, " · ", t("t.q.asked", { when: fmtDate(q.asked) }))),
    h("dd", {}, q.answer, h("span", { class: "meta" }, " · ", t("t.q.answered", { when: fmtDate(q.answered) })))])));
}

const valid = (ok, why) => (ok ? h("span", { class: "ok" }, t("t.valid")) : h("span", { class: "bad" }, t("t.invalid", { why })));

function opening(d) {
  const o = d.opening;
  if (!o) return section("opening", t("t.opening.title"), h("p", { class: "empty" }, t("t.opening.none")));
  const bids = o.bids || [];
  // With lots a bid has a price, valid or not, for each lot it answers.
  const lotLines = (b) => (b.lots || []).map((l) => h("div", { class: "lot-price" },
    h("span", { class: "lot-id" }, l.lot_id), " ", fmtMoney(l.price), " ", valid(l.valid, l.failure)));
  return section("opening", t("t.opening.title"),
    h("p", {}, t("t.opening.summary", { when: fmtDate(o.opened), n: bids.length, valid: bids.filter((b) => b.valid).length })),
    table(null, [t("t.bid"), t("t.received"), t("t.supplier"), t("t.price"), t("t.result")], bids.map((b) => [
      h("code", { title: b.bid_id }, short(b.bid_id)), time(b.received), b.supplier_org || "—",
      (b.lots || []).length ? lotLines(b) : fmtMoney(b.price), valid(b.valid, b.failure)]), "bids"));
}

// The awards: one decision for a tender, or each lot's latest decision.
function award(d) {
  const ls = (d.tender.fields || {}).lots || [];
  if (!ls.length) return section("award", t("t.award.title"), ...awardBlock(d, d.awards, null));
  const blocks = ls.map((l) => {
    const mine = d.awards.filter((a) => (a.decision || {}).lot_id === l.id);
    return mine.length ? [h("h3", { class: "lot-award" }, h("span", { class: "lot-id" }, l.id), " ", l.title), ...awardBlock(d, mine, l)] : [];
  });
  return section("award", t("t.award.title"), blocks.some((b) => b.length) ? blocks : h("p", { class: "empty" }, t("t.award.none")));
}

// The complaints made public (accepted for review): what each is about, its
// state, its text and the review body's signed decisions; never who complained.
function complaints(d) {
  if (!d.complaints.length) return null;
  const about = (c) => [t(`cs.${c.subject}`), c.award_id ? [" ", h("code", {}, c.award_id)] : null,
    c.lot_id ? [" ", h("span", { class: "lot-id" }, c.lot_id)] : null];
  const review = (r) => (r && r.decision ? h("div", { class: "review" },
    t(`co.${r.decision.outcome}`), " · ", r.reviewer ? `${r.reviewer.name} (${r.reviewer.organisation})` : "", " · ", time(r.time),
    h("div", { class: "note" }, r.decision.reasoning)) : null);
  return section("complaints", t("t.complaints"), d.complaints.map((c) => h("article", { class: "complaint" },
    h("h3", {}, h("span", { class: "id" }, c.id), " ", c.title),
    facts([[t("t.complaint.about"), about(c)], [t("t.complaint.state"), t(`cst.${c.state}`)], [t("t.complaint.filed"), time(c.filed)]]),
    h("p", { class: "complaint-text" }, c.text),
    review(c.acceptance), review(c.decision))));
}

// One decision (the latest of awards) with its evaluations; lot: its lot, or null.
function awardBlock(d, awards, lot) {
  const a = awards[awards.length - 1];
  if (!a) return [h("p", { class: "empty" }, t("t.award.none"))];
  const dec = a.decision || {};
  const price = (id) => {
    const b = ((d.opening && d.opening.bids) || []).find((x) => x.bid_id === id);
    const l = b && lot ? (b.lots || []).find((x) => x.lot_id === lot.id) : null;
    return b ? fmtMoney(lot ? l && l.price : b.price) : "—";
  };
  const evals = dec.evaluations || [];
  // The weighted total of a bid's points (the server's rule: points x weight / 100).
  const weights = Object.fromEntries(((lot || d.tender.fields || {}).criteria || []).map((c) => [c.name, c.weight]));
  const total = (e) => (e.scores || []).reduce((s, x) => s + x.points * (weights[x.criterion] || 0), 0) / 100;
  const cancelled = awards.filter((x) => x.state === "CANCELLED");
  return [
    dec.unsuccessful ? h("p", {}, t("t.award.unsuccessful")) : null,
    facts([
      [t("t.award.winner"), dec.winner ? h("code", { title: dec.winner }, dec.winner) : null],
      [t("t.award.criterion"), dec.criterion === "WEIGHTED" ? t("t.weighted") : t("t.lowest")],
      [t("t.award.rationale"), dec.rationale],
      [t("t.award.state"), t(`aw.${a.state}`)],
      [t("t.award.recorded"), time(a.recorded)],
      [t("t.award.standstill"), time(a.standstill_end)],
      [t("t.award.officer"), a.officer ? `${a.officer.name} (${a.officer.organisation})` : null],
    ]),
    evals.length ? h("h3", {}, t("t.award.evaluations")) : null,
    evals.length ? table(null, [t("t.bid"), t("t.price"), t("t.result"), t("t.award.scores"), t("t.award.score")], evals.map((e) => [
      h("code", { title: e.bid_id }, short(e.bid_id)), price(e.bid_id),
      e.valid ? h("span", { class: e.bid_id === dec.winner ? "ok winner" : "ok" }, t("t.valid")) : h("span", { class: "bad" }, t("t.invalid", { why: e.reason })),
      (e.scores || []).map((s) => `${s.criterion} ${fmtNumber(s.points)}`).join(", ") || "—",
      dec.criterion === "WEIGHTED" && e.valid ? fmtNumber(total(e)) : "—"]), "evals") : null,
    cancelled.map((c) => h("p", { class: "cancelled" }, t("t.award.cancelled", { reason: because(c) })))];
}

function timeline(d) {
  return section("timeline", t("t.timeline"), h("p", { class: "muted" }, t("t.timeline.intro")),
    table(null, [t("t.leaf"), t("t.when"), t("t.event"), t("t.actor"), t("t.note")], d.events.map((e) => [
      String(e.seq), time(e.time), t(`ev.${e.kind}`),
      e.actor && e.actor.name ? `${e.actor.name} (${e.actor.organisation || e.actor.role})` : e.actor && e.actor.role ? e.actor.role
        : e.kind.startsWith("BID_") ? "—" : t("t.server"),
      e.note || e.object_id || ""]), "timeline"));
}

// A list of check results, filled as the checks run.
function checkList(id) {
  const ol = h("ol", { class: "checks", id });
  const add = (check, ok, key, params) => {
    // Enum values in the interface's words.
    params = { ...params };
    for (const k of ["status", "shown", "want"]) if (params[k]) params[k] = t(`st.${params[k]}`);
    if (params.state) params.state = t(`aw.${params.state}`);
    const cls = ok === true ? "ok" : ok === false ? "failed" : "skip";
    ol.append(h("li", { class: cls, "data-check": check },
      h("span", { class: "tag" }, t(ok === true ? "v.check.ok" : ok === false ? "v.check.failed" : "v.check.skip")), " ", t(key, params)));
  };
  return [ol, add];
}

function verifyBox(d) {
  const status = h("p", { class: "verdict", id: "verify-result", role: "status", "aria-live": "polite" });
  const [ol, add] = checkList("verify-checks");
  const btn = h("button", { type: "button", class: "primary", id: "verify" }, t("v.button"));
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    ol.replaceChildren();
    status.className = "verdict running";
    status.textContent = t("v.running");
    const ok = await verifyTender(d, add);
    status.className = `verdict ${ok ? "success" : "failure"}`;
    status.dataset.result = ok ? "success" : "failure";
    status.textContent = t(ok ? "v.success" : "v.failure");
    btn.disabled = false;
  });
  return section("verify-section", t("v.title"), h("p", {}, t("v.intro")), btn, status, ol);
}

export function receiptBox() {
  const status = h("p", { class: "verdict", id: "receipt-result", role: "status", "aria-live": "polite" });
  const [ol, add] = checkList("receipt-checks");
  const run = async (file) => {
    ol.replaceChildren();
    status.className = "verdict running";
    status.textContent = t("v.running");
    const ok = await verifyReceipt(await file.text(), add);
    status.className = `verdict ${ok ? "success" : "failure"}`;
    status.dataset.result = ok ? "success" : "failure";
    status.textContent = t(ok ? "rc.success" : "rc.failure");
  };
  const input = h("input", { type: "file", id: "receipt-file", accept: ".bid,text/plain", class: "visually-hidden" });
  input.addEventListener("change", () => input.files[0] && run(input.files[0]));
  const zone = h("label", { class: "drop", for: "receipt-file" }, t("rc.drop"));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files[0]) run(e.dataTransfer.files[0]);
  });
  return section("receipt", t("rc.title"), h("p", {}, t("rc.intro")), input, zone, status, ol);
}

export async function render(main, id) {
  const d = await load(id);
  const x = d.tender, f = x.fields || {};
  append(main, [
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "← ", t("t.back"))),
    h("h1", {}, f.title || x.id),
    h("p", { class: "status-line" }, statusBadge(x.status), " ", h("span", { class: "id" }, x.id), " · ", x.buyer),
    x.status === "CANCELLED" && x.cancel_reason
      ? h("div", { class: "callout cancel", id: "cancellation" }, h("strong", {}, t("t.cancelled")), " — ", t("t.cancel.reason"), ": ", because(x)) : null,
    h("div", { class: "columns" },
      h("div", {}, section("facts", t("t.facts"), keyFacts(d)),
        f.description ? section("description", t("t.description"), h("p", {}, f.description)) : null),
      h("div", {}, verifyBox(d), receiptBox())),
    lots(d), items(d), versions(d), documents(d), questions(d), opening(d), award(d), complaints(d), timeline(d)]);
}
