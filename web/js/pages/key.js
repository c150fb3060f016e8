// The log key: the pinned verifier key, the one the server offers now, and
// setting or forgetting the pin.

import * as api from "../api.js";
import { h, append, facts, section } from "../dom.js";
import { t, fmtDate } from "../i18n.js";
import { pinned, pin, forget, pinnedWitnesses, forgetWitnesses } from "../keypin.js";
import { parseVerifierKey } from "../note.js";

export async function render(main, rerender) {
  const p = pinned();
  let served = null;
  try {
    served = await api.logKey();
  } catch {
    /* none offered */
  }
  const msg = h("p", { id: "key-message", role: "status", "aria-live": "polite" });
  const input = h("textarea", { id: "key-input", rows: 2, spellcheck: "false", autocomplete: "off" });
  const form = h("form", { id: "key-form" },
    h("label", { for: "key-input" }, t("key.set.help")), input,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("key.save")),
      p ? h("button", { type: "button", id: "key-forget", onclick: () => { forget(); rerender(); } }, t("key.forget")) : null));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const vk = await parseVerifierKey(input.value);
      pin(vk.text, "reader");
      rerender();
    } catch (err) {
      msg.className = "bad";
      msg.textContent = t("key.bad", { why: err.message });
    }
  });
  main.append(h("h1", {}, t("key.title")), h("p", { class: "lead" }, t("key.intro")),
    section("pinned", t("key.pinned"), p
      ? facts([[t("key.pinned"), h("code", { class: "vkey", id: "pinned-key" }, p.text)],
        ["", t(`key.source.${p.source}`, { when: fmtDate(p.when) })],
        [t("key.served"), served ? h("span", {}, h("code", { class: "vkey" }, served), " — ",
          h("strong", { class: served === p.text ? "ok" : "bad" }, t(served === p.text ? "key.same" : "key.differs"))) : "—"]])
      : h("p", {}, t("key.none"))),
    section("set-key", t("key.set"), form, msg),
    witnessSection(rerender));
}

// The witnesses' keys pinned at the first verification of a witnessed log.
function witnessSection(rerender) {
  const w = pinnedWitnesses();
  return section("witness-keys", t("key.witnesses"), w && w.keys.length
    ? h("div", {}, h("ul", { id: "witness-keys-list" }, ...w.keys.map((k) => h("li", {}, h("code", { class: "vkey" }, k)))),
      h("p", {}, t("key.witnesses.when", { when: fmtDate(w.when) })),
      h("button", { type: "button", id: "witness-forget", onclick: () => { forgetWitnesses(); rerender(); } }, t("key.forget")))
    : h("p", {}, t("key.witnesses.none")));
}
