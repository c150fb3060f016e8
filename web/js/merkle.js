// The log's Merkle tree (docs/LOG.md sections 1-3: RFC 9162 with SHA-256),
// and its hashes read from C2SP tlog-tiles (section 11). The C reference is
// common/merkle.c.

import { concat, equal, sha256 } from "./bytes.js";

export class ProofError extends Error {}

export function leafHash(d) {
  return sha256(new Uint8Array([0]), d);
}

export function nodeHash(l, r) {
  return sha256(new Uint8Array([1]), l, r);
}

// RFC 9162 section 2.1.3.2: is leaf hash `leaf` at index m in the tree of size n with `root`?
export async function verifyInclusion(m, n, leaf, proof, root) {
  if (!(m < n)) throw new ProofError("the leaf index is beyond the tree");
  if (proof.length > 64) throw new ProofError("the proof is too long");
  let fn = BigInt(m), sn = BigInt(n - 1), r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new ProofError("the proof is too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError("the proof is too short");
  if (!equal(r, root)) throw new ProofError("the proof does not lead to the checkpoint's root");
}

// The tile path of index n: 3-digit groups, all but the last prefixed "x".
export function tileIndex(n) {
  let s = String(n);
  s = s.padStart(Math.ceil(s.length / 3) * 3, "0");
  const g = s.match(/.../g);
  return g.map((x, i) => (i < g.length - 1 ? "x" + x : x)).join("/");
}

function largestPow2Below(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// The hashes of a tree of `size` leaves, read from its tiles (fetchBytes(path)).
export class Tiles {
  constructor(size, fetchBytes) {
    this.size = size;
    this.fetch = fetchBytes;
    this.cache = new Map();
  }

  // The width and path of tile N at tile level L (or "entries").
  tilePath(L, N) {
    const count = Math.floor(this.size / 256 ** (L === "entries" ? 0 : L));
    const w = (N + 1) * 256 <= count ? 256 : count % 256;
    if (N * 256 >= count || w === 0) throw new ProofError(`tile ${L}/${N} is beyond the tree`);
    return [w, `tile/${L}/${tileIndex(N)}${w < 256 ? ".p/" + w : ""}`];
  }

  async tile(L, N) {
    const [w, p] = this.tilePath(L, N);
    if (!this.cache.has(p)) {
      this.cache.set(p, this.fetch(p).then((b) => {
        if (b.length !== 32 * w) throw new ProofError(`tile ${p} has ${b.length} bytes, not ${32 * w}`);
        return b;
      }));
    }
    return this.cache.get(p);
  }

  // The leaves of entry bundle N, each as its bytes.
  async entries(N) {
    const [w, p] = this.tilePath("entries", N);
    if (!this.cache.has(p)) {
      this.cache.set(p, this.fetch(p).then((b) => {
        const out = [];
        let i = 0;
        while (i < b.length) {
          if (i + 2 > b.length) throw new ProofError(`entry bundle ${p} is truncated`);
          const n = (b[i] << 8) | b[i + 1];
          if (i + 2 + n > b.length) throw new ProofError(`entry bundle ${p} is truncated`);
          out.push(b.slice(i + 2, i + 2 + n));
          i += 2 + n;
        }
        if (out.length !== w) throw new ProofError(`entry bundle ${p} holds ${out.length} entries, not ${w}`);
        return out;
      }));
    }
    return this.cache.get(p);
  }

  async leaf(m) {
    return (await this.entries(Math.floor(m / 256)))[m % 256];
  }

  // The hash of the complete subtree at tree level `level`, index `index`.
  async subtree(level, index) {
    const key = `${level}/${index}`;
    if (!this.cache.has(key)) this.cache.set(key, this.combine(level, index));
    return this.cache.get(key);
  }

  async combine(level, index) {
    const L = Math.floor(level / 8), sub = level % 8;
    const first = index * 2 ** sub, n = 2 ** sub;
    let hs = [];
    for (let i = first; i < first + n; i++) {
      const t = await this.tile(L, Math.floor(i / 256));
      hs.push(t.subarray((i % 256) * 32, (i % 256) * 32 + 32));
    }
    while (hs.length > 1) {
      const up = [];
      for (let i = 0; i < hs.length; i += 2) up.push(await nodeHash(hs[i], hs[i + 1]));
      hs = up;
    }
    return hs[0];
  }

  // MTH(D[a:b]).
  async mth(a, b) {
    const n = b - a;
    if (n === 0) return sha256(new Uint8Array(0));
    if ((n & (n - 1)) === 0 && a % n === 0) return this.subtree(Math.log2(n), a / n);
    const k = largestPow2Below(n);
    return nodeHash(await this.mth(a, a + k), await this.mth(a + k, b));
  }

  // RFC 6962's PATH(m, D[a:b]): the inclusion proof, the leaf's sibling first.
  async path(m, a, b) {
    if (b - a === 1) return [];
    const k = largestPow2Below(b - a);
    if (m < a + k) return [...(await this.path(m, a, a + k)), await this.mth(a + k, b)];
    return [...(await this.path(m, a + k, b)), await this.mth(a, a + k)];
  }

  async inclusionProof(m) {
    return this.path(m, 0, this.size);
  }
}

export { concat };
