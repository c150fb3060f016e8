// MessagePack: the canonical encoding of a message from its JSON (as
// /api/v1/ and tenderctl --json write it), by the schema's descriptors
// (schema.js, generated from schema/*.schema), so that what the page shows
// can be hashed and compared with the log (docs/PROTOCOL.md section 10.3);
// and a plain decoder for leaves and bid receipts.
//
// The rules are the server's (common/codec.c with msgpack-c): a map of field
// number to value in field order; singular fields at their default left out,
// optional fields when present, repeated ones when not empty; integers in
// their shortest form (non-negative ones unsigned), doubles as float64.

import { messages, enums } from "./schema.js";
import { utf8, fromB64, fromHex } from "./bytes.js";

const T = { BOOL: 1, INT32: 2, INT64: 3, UINT32: 4, UINT64: 5, DOUBLE: 6, STRING: 7, BYTES: 8, ENUM: 9, MESSAGE: 10 };
const L = { SINGULAR: 0, OPTIONAL: 1, REPEATED: 2, MAP: 3 };
const TIMESTAMP = "tender.common.v1.Timestamp";

export class EncodeError extends Error {}

class Out {
  constructor() {
    this.buf = new Uint8Array(256);
    this.n = 0;
  }
  room(k) {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  byte(...xs) {
    this.room(xs.length);
    for (const x of xs) this.buf[this.n++] = x;
  }
  be(v, bytes) {
    // v: a BigInt, written big-endian in `bytes` bytes
    this.room(bytes);
    for (let i = bytes - 1; i >= 0; i--) this.buf[this.n + i] = Number((v >> BigInt(8 * (bytes - 1 - i))) & 0xffn);
    this.n += bytes;
  }
  raw(b) {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  bytes() {
    return this.buf.slice(0, this.n);
  }
}

function big(v) {
  if (typeof v === "bigint") return v;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new EncodeError(`not an integer: ${v}`);
  if (!Number.isSafeInteger(v)) throw new EncodeError(`integer too large to check exactly: ${v}`);
  return BigInt(v);
}

function packUint(o, v) {
  v = big(v);
  if (v < 0n) throw new EncodeError("negative value for an unsigned field");
  if (v < 128n) o.byte(Number(v));
  else if (v < 256n) { o.byte(0xcc); o.be(v, 1); }
  else if (v < 65536n) { o.byte(0xcd); o.be(v, 2); }
  else if (v < 4294967296n) { o.byte(0xce); o.be(v, 4); }
  else { o.byte(0xcf); o.be(v, 8); }
}

function packInt(o, v) {
  v = big(v);
  if (v >= 0n) return packUint(o, v);
  if (v >= -32n) o.byte(Number(v & 0xffn));
  else if (v >= -128n) { o.byte(0xd0); o.be(v & 0xffn, 1); }
  else if (v >= -32768n) { o.byte(0xd1); o.be(v & 0xffffn, 2); }
  else if (v >= -2147483648n) { o.byte(0xd2); o.be(v & 0xffffffffn, 4); }
  else { o.byte(0xd3); o.be(v & 0xffffffffffffffffn, 8); }
}

function packLen(o, n, fix, fixMax, c8, c16, c32) {
  if (fix !== null && n < fixMax) o.byte(fix | n);
  else if (c8 !== null && n < 256) { o.byte(c8); o.be(BigInt(n), 1); }
  else if (n < 65536) { o.byte(c16); o.be(BigInt(n), 2); }
  else { o.byte(c32); o.be(BigInt(n), 4); }
}

function packStr(o, s) {
  const b = utf8(s);
  packLen(o, b.length, 0xa0, 32, 0xd9, 0xda, 0xdb);
  o.raw(b);
}

function packBin(o, b) {
  packLen(o, b.length, null, 0, 0xc4, 0xc5, 0xc6);
  o.raw(b);
}

// RFC 3339 as msg_json.c writes it: "2026-12-05T10:00:00.25Z" (or "@SECONDS").
export function parseTime(s) {
  if (typeof s !== "string") throw new EncodeError(`not a time: ${s}`);
  let m = /^@(-?\d+)$/.exec(s);
  if (m) return { seconds: Number(m[1]), nanos: 0 };
  m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) throw new EncodeError(`not an RFC 3339 UTC time: ${s}`);
  const d = new Date(0);
  d.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
  d.setUTCHours(+m[4], +m[5], +m[6], 0);
  return { seconds: Math.floor(d.getTime() / 1000), nanos: m[7] ? Number(m[7].padEnd(9, "0")) : 0 };
}

function isSet(type, v) {
  switch (type) {
    case T.BOOL: return v === true;
    case T.DOUBLE: return v !== 0 || Object.is(v, -0);
    case T.STRING: return typeof v === "string" && v.length > 0;
    case T.BYTES: return typeof v === "string" && v.length > 0;
    case T.MESSAGE: return v !== null && v !== undefined;
    default: return v !== 0 && v !== undefined && v !== null;
  }
}

function packValue(o, f, v) {
  const [, name, type, , ref] = f;
  switch (type) {
    case T.BOOL:
      if (typeof v !== "boolean") throw new EncodeError(`${name}: not a boolean`);
      return o.byte(v ? 0xc3 : 0xc2);
    case T.INT32: case T.INT64: return packInt(o, v);
    case T.UINT32: case T.UINT64: return packUint(o, v);
    case T.DOUBLE: {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v);
      o.byte(0xcb);
      return o.raw(new Uint8Array(b.buffer));
    }
    case T.STRING:
      if (typeof v !== "string") throw new EncodeError(`${name}: not a string`);
      return packStr(o, v);
    case T.BYTES: {
      const b = name === "sha256" ? fromHex(v) : fromB64(v);
      if (!b) throw new EncodeError(`${name}: not ${name === "sha256" ? "hex" : "base64"}`);
      return packBin(o, b);
    }
    case T.ENUM: {
      const n = typeof v === "number" ? v : enums[ref] && enums[ref][v];
      if (n === undefined) throw new EncodeError(`${name}: unknown value ${v}`);
      return packInt(o, n);
    }
    case T.MESSAGE: return packMsg(o, ref, v);
  }
  throw new EncodeError(`${name}: unknown type`);
}

function present(f, obj) {
  const [, name, type, label] = f;
  if (!(name in obj)) return false;
  const v = obj[name];
  if (label === L.OPTIONAL) return type !== T.MESSAGE || v !== null;
  if (label === L.REPEATED) return Array.isArray(v) && v.length > 0;
  if (label === L.MAP) return v !== null && typeof v === "object" && Object.keys(v).length > 0;
  if (type === T.ENUM) return (typeof v === "number" ? v : enums[f[4]] && enums[f[4]][v]) !== 0;
  return isSet(type, v);
}

function packMsg(o, full, obj) {
  if (full === TIMESTAMP && typeof obj === "string") obj = parseTime(obj);
  const fields = messages[full];
  if (!fields) throw new EncodeError(`unknown message ${full}`);
  if (obj === null || typeof obj !== "object") throw new EncodeError(`${full}: not an object`);
  const here = fields.filter((f) => present(f, obj));
  packLen(o, here.length, 0x80, 16, null, 0xde, 0xdf);
  for (const f of here) {
    const [num, name, , label] = f;
    packUint(o, num);
    const v = obj[name];
    if (label === L.REPEATED) {
      packLen(o, v.length, 0x90, 16, null, 0xdc, 0xdd);
      for (const e of v) packValue(o, f, e);
    } else if (label === L.MAP) {
      const keys = Object.keys(v);
      packLen(o, keys.length, 0x80, 16, null, 0xde, 0xdf);
      for (const k of keys) {
        packStr(o, k);
        packValue(o, f, v[k]);
      }
    } else {
      packValue(o, f, v);
    }
  }
}

// The canonical encoding of obj (JSON of message `full`, e.g. "tender.tenders.v1.Tender").
export function encode(full, obj) {
  const o = new Out();
  packMsg(o, full, obj);
  return o.bytes();
}

export class DecodeError extends Error {}

// A plain decoder: maps become objects keyed by their (number or string)
// keys, bin a Uint8Array, integers Numbers (BigInt past 2^53).
export function decode(b) {
  let i = 0;
  const need = (k) => {
    if (i + k > b.length) throw new DecodeError("truncated");
  };
  const uint = (k) => {
    need(k);
    let v = 0n;
    for (let j = 0; j < k; j++) v = (v << 8n) | BigInt(b[i++]);
    return v;
  };
  const num = (v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const signed = (k) => {
    const v = uint(k), bits = BigInt(8 * k);
    return num(v >= 1n << (bits - 1n) ? v - (1n << bits) : v);
  };
  const dec = new TextDecoder("utf-8", { fatal: true });
  const str = (n) => { need(n); const s = dec.decode(b.subarray(i, i + n)); i += n; return s; };
  const bin = (n) => { need(n); const s = b.slice(i, i + n); i += n; return s; };
  const arr = (n) => { const a = []; for (let k = 0; k < n; k++) a.push(val()); return a; };
  const map = (n) => { const m = {}; for (let k = 0; k < n; k++) { const key = val(); m[key] = val(); } return m; };
  function val() {
    need(1);
    const c = b[i++];
    if (c < 0x80) return c;
    if (c >= 0xe0) return c - 256;
    if ((c & 0xf0) === 0x80) return map(c & 15);
    if ((c & 0xf0) === 0x90) return arr(c & 15);
    if ((c & 0xe0) === 0xa0) return str(c & 31);
    switch (c) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return bin(Number(uint(1)));
      case 0xc5: return bin(Number(uint(2)));
      case 0xc6: return bin(Number(uint(4)));
      case 0xcb: { need(8); const v = new DataView(b.buffer, b.byteOffset + i, 8).getFloat64(0); i += 8; return v; }
      case 0xcc: return num(uint(1));
      case 0xcd: return num(uint(2));
      case 0xce: return num(uint(4));
      case 0xcf: return num(uint(8));
      case 0xd0: return signed(1);
      case 0xd1: return signed(2);
      case 0xd2: return signed(4);
      case 0xd3: return signed(8);
      case 0xd9: return str(Number(uint(1)));
      case 0xda: return str(Number(uint(2)));
      case 0xdb: return str(Number(uint(4)));
      case 0xdc: return arr(Number(uint(2)));
      case 0xdd: return arr(Number(uint(4)));
      case 0xde: return map(Number(uint(2)));
      case 0xdf: return map(Number(uint(4)));
    }
    throw new DecodeError(`unsupported MessagePack byte 0x${c.toString(16)}`);
  }
  const v = val();
  if (i !== b.length) throw new DecodeError("trailing bytes");
  return v;
}
