// The log: the latest checkpoint (verified with the pinned key), the
// checkpoints this browser saw before (the log must extend each), and the
// latest events.

import * as api from "../api.js";
import { h, append, facts, table, section } from "../dom.js";
import { t, fmtDate, fmtNumber } from "../i18n.js";
import { verifyLog } from "../verify.js";
import { parseCheckpoint } from "../note.js";
import { toB64 } from "../bytes.js";
import { receiptBox } from "./tender.js";

const HISTORY = "tenderd.checkpoints", KEEP = 20;

function history() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY) || "[]");
  } catch {
    return [];
  }
}

export async function render(main) {
  const note = await api.checkpoint();
  const cp = parseCheckpoint(note.slice(0, note.lastIndexOf("\n\n") + 1));
  const seen = history();
  const status = h("p", { class: "verdict running", id: "log-result", role: "status" }, t("v.running"));
  const ol = h("ol", { class: "checks", id: "log-checks" });
  const feedFrom = Math.max(0, cp.size - 25);
  const feed = cp.size ? await api.json(`/api/v1/feed?since=${feedFrom}&limit=25`) : { events: [] };
  append(main, [
    h("h1", {}, t("log.title")), h("p", { class: "lead" }, t("log.intro")),
    h("div", { class: "columns" },
      section("checkpoint", t("log.latest"),
        facts([[t("log.origin"), cp.origin], [t("log.size"), fmtNumber(cp.size)], [t("log.root"), h("code", { class: "hash" }, toB64(cp.root))]]),
        status, ol,
        h("details", {}, h("summary", {}, t("log.raw")), h("pre", { class: "note" }, note))),
      receiptBox()),
    section("history", t("log.history"), seen.length
      ? table(null, [t("log.size"), t("log.root"), t("log.seen")], seen.slice().reverse().map((c) => [fmtNumber(c.size), h("code", { class: "hash" }, c.root), fmtDate(c.seen)]))
      : h("p", { class: "empty" }, "—")),
    section("recent", t("log.recent"), table(null, [t("t.leaf"), t("t.when"), t("t.event"), t("col.tender")],
      feed.events.slice().reverse().map((e) => [String(e.seq), fmtDate(e.time), t(`ev.${e.kind}`),
        e.tender_id ? h("a", { href: `#/tender/${encodeURIComponent(e.tender_id)}` }, e.tender_id) : "—"]), "timeline"))]);
  const add = (check, ok, key, params) => ol.append(h("li", { class: ok === true ? "ok" : ok === false ? "failed" : "skip" },
    h("span", { class: "tag" }, t(ok === true ? "v.check.ok" : ok === false ? "v.check.failed" : "v.check.skip")), " ", t(key, params)));
  const verified = await verifyLog(seen, add);
  status.className = `verdict ${verified ? "success" : "failure"}`;
  status.dataset.result = verified ? "success" : "failure";
  status.textContent = verified ? t("log.verified", { n: seen.length }) : t("v.failure");
  if (verified && !seen.some((c) => c.size === verified.size)) {
    seen.push({ size: verified.size, root: toB64(verified.root), seen: new Date().toISOString() });
    try {
      localStorage.setItem(HISTORY, JSON.stringify(seen.slice(-KEEP)));
    } catch {
      /* no storage */
    }
  }
}
