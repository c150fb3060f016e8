// The log key this browser trusts. A page from the server cannot vouch for
// the server's own key, so the key is pinned: taken once on the first visit
// (or set by the reader from what the operator publishes elsewhere) and kept;
// every verification uses the pinned key only. A server that later offers
// another key gets a loud warning, never a silent switch.

import * as api from "./api.js";

const KEY = "tenderd.logKey", SOURCE = "tenderd.logKeySource", WHEN = "tenderd.logKeyPinned";

function store() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function pinned() {
  const s = store();
  const text = s && s.getItem(KEY);
  return text ? { text, source: s.getItem(SOURCE) || "reader", when: s.getItem(WHEN) || "" } : null;
}

export function pin(text, source) {
  const s = store();
  if (!s) return;
  s.setItem(KEY, text.trim());
  s.setItem(SOURCE, source);
  s.setItem(WHEN, new Date().toISOString());
}

export function forget() {
  const s = store();
  if (s) for (const k of [KEY, SOURCE, WHEN]) s.removeItem(k);
}

// Compare the pinned key with the one the server offers; pin it on a first
// visit. {state: "first" | "same" | "changed" | "unknown", pinned, served}.
export async function check() {
  let served = null;
  try {
    served = await api.logKey();
  } catch {
    /* no key offered */
  }
  let p = pinned();
  if (!p && served) {
    pin(served, "first-visit");
    return { state: "first", pinned: pinned(), served };
  }
  if (!p) return { state: "unknown", pinned: null, served };
  return { state: served && served !== p.text ? "changed" : "same", pinned: p, served };
}

// The witnesses' keys (C2SP cosigner keys, type 0x04) this browser trusts,
// pinned like the log key: taken from the log's list on the first
// verification that finds none pinned, then kept; a list that changes later
// is reported, never followed.
const WITNESSES = "tenderd.witnessKeys", WITNESSES_WHEN = "tenderd.witnessKeysPinned";

export function pinnedWitnesses() {
  const s = store();
  try {
    const v = JSON.parse((s && s.getItem(WITNESSES)) || "null");
    return Array.isArray(v) ? { keys: v.filter((k) => typeof k === "string"), when: s.getItem(WITNESSES_WHEN) || "" } : null;
  } catch {
    return null;
  }
}

export function pinWitnesses(keys) {
  const s = store();
  if (!s) return;
  s.setItem(WITNESSES, JSON.stringify(keys));
  s.setItem(WITNESSES_WHEN, new Date().toISOString());
}

export function forgetWitnesses() {
  const s = store();
  if (s) for (const k of [WITNESSES, WITNESSES_WHEN]) s.removeItem(k);
}

// {keys: pinned ones, first: pinned just now, changed: the log now lists others}.
export async function checkWitnesses() {
  let served = [];
  try {
    served = ((await api.witnesses()).witnesses || []).map((w) => w.verifier_key).filter(Boolean);
  } catch {
    /* the log lists none */
  }
  const p = pinnedWitnesses();
  if (!p && served.length) {
    pinWitnesses(served);
    return { keys: served, first: true, changed: false };
  }
  const keys = p ? p.keys : [];
  const changed = served.length > 0 && (served.length !== keys.length || served.some((k) => !keys.includes(k)));
  return { keys, first: false, changed };
}
