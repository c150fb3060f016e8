// The log's keys, signed notes and checkpoints (docs/LOG.md sections 5-7:
// C2SP signed-note and tlog-checkpoint), verified with WebCrypto's Ed25519.
// The C reference is common/note.c.

import { utf8, concat, equal, fromB64, sha256 } from "./bytes.js";

export class NoteError extends Error {}

const MAX_NOTE = 1 << 20;

// A key name: 1..255 bytes of UTF-8, no white space, no "+", no control characters.
function nameOk(name) {
  const n = utf8(name).length;
  return n >= 1 && n <= 255 && !/[\s+\u0000-\u001f\u007f-\u009f]/u.test(name);
}

// "name+keyid+base64(TYPE || public key)" into {name, id (4 bytes), pub (32
// bytes), text}: type 0x01 for the log's key, 0x04 for a witness's
// (C2SP tlog-cosignature; the C reference is common/cosig.c).
export async function parseVerifierKey(text, type = 0x01) {
  const s = (text || "").trim();
  const a = s.indexOf("+"), b = s.indexOf("+", a + 1);
  if (a < 0 || b < 0) throw new NoteError("a verifier key is NAME+KEYID+KEY");
  const name = s.slice(0, a), hex = s.slice(a + 1, b), k = fromB64(s.slice(b + 1));
  if (!nameOk(name)) throw new NoteError("the key's name is not valid");
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new NoteError("the key id is not 8 lowercase hex digits");
  if (!k || k.length !== 33 || k[0] !== type)
    throw new NoteError(`the key is not base64 of an Ed25519 key (0x0${type} and 32 bytes)`);
  const id = (await sha256(utf8(name), new Uint8Array([0x0a, type]), k.subarray(1))).subarray(0, 4);
  if (Array.from(id, (x) => x.toString(16).padStart(2, "0")).join("") !== hex)
    throw new NoteError("the key id does not match the name and key");
  const key = await crypto.subtle.importKey("raw", k.subarray(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, id, pub: k.subarray(1), key, text: s };
}

// Verify a signed note (a string) with one verifier key; its text (with the final newline).
export async function verifyNote(note, vk) {
  const bytes = utf8(note);
  if (bytes.length > MAX_NOTE) throw new NoteError("the note is larger than 1 MiB");
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u.test(note)) throw new NoteError("the note holds control characters");
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0) throw new NoteError("the note has no signature");
  const text = note.slice(0, cut + 1), sigs = note.slice(cut + 2);
  if (!sigs || !sigs.endsWith("\n")) throw new NoteError("the note's signature lines are malformed");
  const lines = sigs.slice(0, -1).split("\n");
  if (lines.length > 100) throw new NoteError("the note has more than 100 signatures");
  let found = null;
  for (const line of lines) {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    const raw = m && fromB64(m[2]);
    if (!m || !nameOk(m[1]) || !raw || raw.length < 5) throw new NoteError("a signature line is malformed");
    if (m[1] !== vk.name || !equal(raw.subarray(0, 4), vk.id)) continue;
    if (found) throw new NoteError("the note is signed twice by the key");
    found = raw;
  }
  if (!found) throw new NoteError(`the note is not signed by ${vk.name}+${Array.from(vk.id, (x) => x.toString(16).padStart(2, "0")).join("")}`);
  if (found.length !== 68) throw new NoteError("the signature is not 64 bytes");
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, vk.key, found.subarray(4), utf8(text));
  if (!ok) throw new NoteError("the signature does not verify: the note was changed or signed by another key");
  return text;
}

// The witnesses among wks (parsed with type 0x04) whose cosignature on a
// signed note verifies: [{name, time (seconds)}], and the names of those
// whose line is there but does not verify. A cosignature signs
// "cosignature/v1\ntime T\n" + the note's text; its signature is the key
// id, T as 8 big-endian bytes, then 64 bytes of Ed25519.
export async function cosigners(note, wks) {
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0) throw new NoteError("the note has no signature");
  const text = note.slice(0, cut + 1), lines = note.slice(cut + 2).replace(/\n$/, "").split("\n");
  const ok = [], bad = [];
  for (const wk of wks) {
    let raw = null;
    for (const line of lines) {
      const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
      const r = m && m[1] === wk.name && fromB64(m[2]);
      if (r && r.length >= 4 && equal(r.subarray(0, 4), wk.id)) raw = r;
    }
    if (!raw) continue;
    if (raw.length !== 76) {
      bad.push(wk.name);
      continue;
    }
    const hi = new DataView(raw.buffer, raw.byteOffset + 4, 8).getUint32(0), lo = new DataView(raw.buffer, raw.byteOffset + 8, 4).getUint32(0);
    const time = hi * 2 ** 32 + lo;
    const msg = utf8(`cosignature/v1\ntime ${hi ? BigInt(hi) * 2n ** 32n + BigInt(lo) : lo}\n${text}`);
    if (Number.isSafeInteger(time) && await crypto.subtle.verify({ name: "Ed25519" }, wk.key, raw.subarray(12), msg))
      ok.push({ name: wk.name, time });
    else bad.push(wk.name);
  }
  return { ok, bad };
}

// A checkpoint's text into {origin, size, root}; sizes past 2^53 are refused here.
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw new NoteError("the checkpoint is not origin, size and root lines");
  const [origin, sizeText, rootText] = lines;
  if (!origin || utf8(origin).length > 255) throw new NoteError("the checkpoint's origin is not valid");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) throw new NoteError("the checkpoint's size is not valid");
  const root = fromB64(rootText);
  if (!root || root.length !== 32) throw new NoteError("the checkpoint's root is not base64 of 32 bytes");
  for (const ext of lines.slice(3, -1)) if (!ext) throw new NoteError("the checkpoint has an empty extension line");
  return { origin, size: Number(sizeText), root };
}

// Verify and parse a checkpoint note: signed by vk, of the log vk names.
export async function verifyCheckpoint(note, vk) {
  const cp = parseCheckpoint(await verifyNote(note, vk));
  if (cp.origin !== vk.name) throw new NoteError(`the checkpoint is of log "${cp.origin}", not "${vk.name}"`);
  return cp;
}

export { concat };
