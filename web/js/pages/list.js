// The list of tenders: search by text, status, CPV, buyer, deadline and
// estimated value (an amount range in one currency, read exactly by the server).

import * as api from "../api.js";
import { h, append } from "../dom.js";
import { t, fmtDate, fmtMoney } from "../i18n.js";

const STATUSES = ["ACTIVE", "CLOSED", "OPENED", "AWARDED", "COMPLETE", "CANCELLED", "UNSUCCESSFUL"];

export function statusBadge(s) {
  return h("span", { class: `badge st-${(s || "").toLowerCase()}` }, t(`st.${s}`));
}

function query(params) {
  const q = new URLSearchParams();
  if (params.get("text")) q.set("text", params.get("text"));
  if (params.get("status")) q.set("status", params.get("status"));
  if (params.get("cpv")) q.set("classification", params.get("cpv"));
  if (params.get("buyer")) q.set("buyer", params.get("buyer"));
  if (params.get("from")) q.set("deadline_from", params.get("from") + "T00:00:00Z");
  if (params.get("to")) q.set("deadline_to", params.get("to") + "T23:59:59Z");
  for (const k of ["value_min", "value_max", "currency"]) {
    const val = (params.get(k) || "").trim();
    if (val) q.set(k, k === "currency" ? val.toUpperCase() : val);
  }
  q.set("page_size", "50");
  return q;
}

function field(name, label, input) {
  return h("div", { class: "field" }, h("label", { for: `f-${name}` }, label), input);
}

export async function render(main, params) {
  const v = (k) => params.get(k) || "";
  const form = h("form", { class: "filters", role: "search", id: "search" },
    field("text", t("f.text"), h("input", { id: "f-text", name: "text", type: "search", value: v("text") })),
    field("status", t("f.status"), h("select", { id: "f-status", name: "status" },
      h("option", { value: "" }, t("f.any")),
      STATUSES.map((s) => h("option", { value: s, selected: v("status") === s }, t(`st.${s}`))))),
    field("cpv", t("f.cpv"), h("input", { id: "f-cpv", name: "cpv", inputmode: "numeric", value: v("cpv"), size: 10 })),
    field("buyer", t("f.buyer"), h("input", { id: "f-buyer", name: "buyer", value: v("buyer") })),
    field("from", t("f.from"), h("input", { id: "f-from", name: "from", type: "date", value: v("from") })),
    field("to", t("f.to"), h("input", { id: "f-to", name: "to", type: "date", value: v("to") })),
    // Amounts as text: the server reads them exactly in the currency's minor units.
    field("value_min", t("f.value_min"), h("input", { id: "f-value_min", name: "value_min", inputmode: "decimal", value: v("value_min"), size: 12 })),
    field("value_max", t("f.value_max"), h("input", { id: "f-value_max", name: "value_max", inputmode: "decimal", value: v("value_max"), size: 12 })),
    field("currency", t("f.currency"), h("input", { id: "f-currency", name: "currency", value: v("currency"), size: 4, maxlength: 3, autocapitalize: "characters", spellcheck: "false" })),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("f.search")),
      h("a", { href: "#/", class: "button" }, t("f.clear"))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, val] of new FormData(form)) if (val) q.set(k, val);
    location.hash = `#/?${q}`;
  });
  const results = h("div", { id: "results", "aria-live": "polite" });
  append(main, [h("h1", {}, t("list.title")), h("p", { class: "lead" }, t("list.intro")), form, results]);

  const tbody = h("tbody", {});
  const tableEl = h("table", { class: "tenders", id: "tender-table" },
    h("caption", { class: "visually-hidden" }, t("list.caption")),
    h("thead", {}, h("tr", {}, [t("col.tender"), t("col.buyer"), t("col.status"), t("col.cpv"), t("col.deadline"), t("col.value")]
      .map((x) => h("th", { scope: "col" }, x)))),
    tbody);
  const more = h("button", { type: "button", class: "more", hidden: true }, t("list.more"));
  let cursor = "", emptyPages = 0;
  async function page() {
    const q = query(params);
    if (cursor) q.set("cursor", cursor);
    const r = await api.json(`/api/v1/tenders?${q}`);
    for (const x of r.tenders || []) {
      const f = x.fields || {};
      tbody.append(h("tr", {},
        h("th", { scope: "row", "data-label": t("col.tender") },
          h("a", { href: `#/tender/${encodeURIComponent(x.id)}` }, f.title || x.id), h("br"), h("span", { class: "id" }, x.id)),
        h("td", { "data-label": t("col.buyer") }, x.buyer),
        h("td", { "data-label": t("col.status") }, statusBadge(x.status)),
        h("td", { "data-label": t("col.cpv") }, (f.classification && f.classification.code) || "—"),
        h("td", { "data-label": t("col.deadline") }, h("time", { datetime: f.submission_deadline }, fmtDate(f.submission_deadline))),
        h("td", { "data-label": t("col.value"), class: "num" }, fmtMoney(f.estimated_value))));
    }
    // A page may be short, or empty, and still have a next_cursor: the
    // server looks at a bounded number of tenders per call. Go on while
    // there is one; fetch on by itself past pages that matched nothing.
    cursor = r.next_cursor || "";
    more.hidden = !cursor;
    if (!(r.tenders || []).length && cursor && ++emptyPages < 20) return page();
    emptyPages = 0;
    if (!tbody.children.length && !cursor) results.replaceChildren(h("p", { class: "empty" }, t("list.none")));
  }
  more.addEventListener("click", () => page().then(() => tbody.lastElementChild && tbody.lastElementChild.querySelector("a").focus()));
  results.append(tableEl, more);
  await page();
}
