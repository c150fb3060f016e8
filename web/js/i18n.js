// Interface text in Korean, English and Spanish (one file a language in
// i18n/), the reader's choice kept in the browser; dates and amounts in the
// reader's locale with Intl.

import en from "./i18n/en.js";
import ko from "./i18n/ko.js";
import es from "./i18n/es.js";

export const LANGS = { en, ko, es };
const STORE = "tenderd.lang";
let lang = "en";

export function initLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORE);
  } catch {
    /* no storage */
  }
  const browser = (navigator.languages || [navigator.language || "en"]).map((l) => l.slice(0, 2));
  lang = saved && LANGS[saved] ? saved : browser.find((l) => LANGS[l]) || "en";
  document.documentElement.lang = lang;
  return lang;
}

export function setLang(l) {
  if (!LANGS[l]) return;
  lang = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(STORE, l);
  } catch {
    /* no storage */
  }
}

export const currentLang = () => lang;

// The text of key in the current language ({name} replaced from params);
// English when the language lacks it, the key itself when nobody has it.
export function t(key, params = {}) {
  const s = LANGS[lang][key] ?? en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (params[k] === undefined ? "" : String(params[k])));
}

// The reader's locale when it speaks the chosen language (es-MX, ko-KR), else the language.
function locale() {
  const all = navigator.languages || [navigator.language || "en"];
  return all.find((l) => l.slice(0, 2) === lang) || lang;
}

export function fmtDate(s) {
  if (!s) return "—";
  const d = new Date(s);
  if (isNaN(d)) return s;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(d);
}

// A day given without a time (an item's delivery period): the UTC date, so
// that no reader's time zone moves it to the day before.
export function fmtDay(s) {
  if (!s) return "—";
  const d = new Date(s);
  if (isNaN(d)) return s;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(d);
}

export function fmtMoney(m) {
  if (!m || !m.currency) return "—";
  let nf;
  try {
    nf = new Intl.NumberFormat(locale(), { style: "currency", currency: m.currency });
  } catch {
    return `${m.minor_units} ${m.currency}`;
  }
  const digits = nf.resolvedOptions().maximumFractionDigits;
  return nf.format(Number(m.minor_units) / 10 ** digits);
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

export function fmtBytes(n) {
  if (n < 1024) return t("bytes", { n: fmtNumber(n) });
  const u = n < 1 << 20 ? ["KiB", 1024] : ["MiB", 1 << 20];
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(n / u[1])} ${u[0]}`;
}
