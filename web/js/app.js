// The portal: routes (#/, #/tender/ID, #/log, #/key), the language switch,
// and the pinned-key warning on every page.

import { initLang, setLang, currentLang, t } from "./i18n.js";
import { h } from "./dom.js";
import * as keypin from "./keypin.js";
import * as list from "./pages/list.js";
import * as tender from "./pages/tender.js";
import * as log from "./pages/log.js";
import * as key from "./pages/key.js";

let keyState = null;

function chrome() {
  document.title = t("site.name");
  const set = (id, k) => { const el = document.getElementById(id); if (el) el.textContent = t(k); };
  set("brand-name", "site.name");
  set("skip-link", "skip");
  set("nav-tenders", "nav.tenders");
  set("nav-log", "nav.log");
  set("nav-key", "nav.key");
  set("lang-label", "lang");
  set("footer-text", "footer");
  document.getElementById("lang").value = currentLang();
  const banner = document.getElementById("key-banner");
  banner.replaceChildren();
  banner.hidden = true;
  banner.className = "";
  if (keyState && (keyState.state === "changed" || keyState.state === "first")) {
    banner.hidden = false;
    banner.className = keyState.state === "changed" ? "alarm" : "notice";
    banner.append(h("p", {}, t(keyState.state === "changed" ? "key.changed" : "key.first"), " ", h("a", { href: "#/key" }, t("key.check"))));
  }
}

async function route() {
  chrome();
  const main = document.getElementById("main");
  main.replaceChildren();
  const hash = location.hash.slice(1) || "/";
  const [path, qs] = hash.split("?");
  const params = new URLSearchParams(qs || "");
  let nav = "tenders";
  try {
    if (path.startsWith("/tender/")) await tender.render(main, decodeURIComponent(path.slice(8)));
    else if (path === "/log") { nav = "log"; await log.render(main); }
    else if (path === "/key") { nav = "key"; await key.render(main, async () => { keyState = await keypin.check(); route(); }); }
    else await list.render(main, params);
  } catch (e) {
    main.append(h("p", { class: "error", role: "alert" }, t("error", { why: e.message })));
  }
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.body.dataset.ready = path;
}

async function start() {
  initLang();
  document.getElementById("lang").addEventListener("change", (e) => {
    setLang(e.target.value);
    route();
  });
  keyState = await keypin.check();
  window.addEventListener("hashchange", async () => {
    await route();
    window.scrollTo(0, 0);
    document.getElementById("main").focus({ preventScroll: true });
  });
  await route();
}

start();
