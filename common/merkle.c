/* RFC 6962 / RFC 9162 Merkle tree with SHA-256: hashing, proof verification,
 * and proof generation over complete subtrees read through a callback. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tender/audit.h"
#include "digest.h"

#define HLEN TND_MERKLE_HASH_LEN

int tnd_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32])
{
    static const uint8_t prefix = 0x00;
    if ((data == NULL && len > 0) || out == NULL)
        return TND_EINVAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return TND_ENOMEM;
    int ok = EVP_DigestInit_ex(md, tnd_sha256_md(), NULL) == 1 &&
             EVP_DigestUpdate(md, &prefix, 1) == 1 &&
             (len == 0 || EVP_DigestUpdate(md, data, len) == 1) &&
             EVP_DigestFinal_ex(md, out, NULL) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : TND_ECRYPTO;
}

int tnd_merkle_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
    uint8_t buf[1 + 2 * HLEN];
    if (l == NULL || r == NULL || out == NULL)
        return TND_EINVAL;
    buf[0] = 0x01;
    memcpy(buf + 1, l, HLEN);
    memcpy(buf + 1 + HLEN, r, HLEN);
    return EVP_Digest(buf, sizeof buf, out, NULL, tnd_sha256_md(), NULL) == 1 ? 0 : TND_ECRYPTO;
}

int tnd_merkle_empty_root(uint8_t out[32])
{
    if (out == NULL)
        return TND_EINVAL;
    return EVP_Digest("", 0, out, NULL, tnd_sha256_md(), NULL) == 1 ? 0 : TND_ECRYPTO;
}

/* Constant-time comparison of two hashes: 0 when equal, TND_ECRYPTO when not. */
static int hash_match(const uint8_t a[32], const uint8_t b[32])
{
    return CRYPTO_memcmp(a, b, HLEN) == 0 ? 0 : TND_ECRYPTO;
}

static int is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

static unsigned log2_exact(uint64_t pow2)
{
    return (unsigned)__builtin_ctzll(pow2);
}

/* ---- verification (RFC 9162 2.1.3.2, 2.1.4.2) --------------------------- */

int tnd_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[32],
                                const uint8_t (*proof)[32], size_t proof_len,
                                const uint8_t root[32])
{
    if (leaf_hash == NULL || root == NULL || (proof == NULL && proof_len > 0))
        return TND_EINVAL;
    if (size > TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    if (index >= size)
        return TND_EINVAL;
    if (proof_len > TND_MERKLE_MAX_PROOF)
        return TND_ECRYPTO;

    uint64_t fn = index, sn = size - 1;
    uint8_t r[HLEN];
    memcpy(r, leaf_hash, HLEN);
    for (size_t i = 0; i < proof_len; i++) {
        if (sn == 0)
            return TND_ECRYPTO; /* proof too long */
        int rc;
        if ((fn & 1) || fn == sn) {
            rc = tnd_merkle_node_hash(proof[i], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            rc = tnd_merkle_node_hash(r, proof[i], r);
        }
        if (rc != 0)
            return rc;
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return TND_ECRYPTO; /* proof too short */
    return hash_match(r, root);
}

int tnd_merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[32],
                                  const uint8_t root2[32], const uint8_t (*proof)[32],
                                  size_t proof_len)
{
    if (root1 == NULL || root2 == NULL || (proof == NULL && proof_len > 0))
        return TND_EINVAL;
    if (size2 > TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    if (size1 > size2)
        return TND_EINVAL;
    if (size1 == size2) {
        if (proof_len != 0)
            return TND_ECRYPTO;
        return hash_match(root1, root2);
    }
    if (size1 == 0)
        return TND_EINVAL;
    if (proof_len == 0 || proof_len > TND_MERKLE_MAX_PROOF)
        return TND_ECRYPTO;

    /* When size1 is a power of two, root1 is itself the first element of
     * the path (RFC 9162 step 2); otherwise the proof starts with it. */
    size_t next = 0;
    const uint8_t *first = is_pow2(size1) ? root1 : proof[next++];
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[HLEN], sr[HLEN];
    memcpy(fr, first, HLEN);
    memcpy(sr, first, HLEN);
    for (; next < proof_len; next++) {
        const uint8_t *c = proof[next];
        if (sn == 0)
            return TND_ECRYPTO; /* proof too long */
        int rc;
        if ((fn & 1) || fn == sn) {
            rc = tnd_merkle_node_hash(c, fr, fr);
            if (rc == 0)
                rc = tnd_merkle_node_hash(c, sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            rc = tnd_merkle_node_hash(sr, c, sr);
        }
        if (rc != 0)
            return rc;
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return TND_ECRYPTO; /* proof too short */
    int a = hash_match(fr, root1), b = hash_match(sr, root2);
    return a != 0 ? a : b;
}

/* ---- generation over stored complete subtrees --------------------------- */

static int call_get(tnd_merkle_get_fn get, void *ctx, unsigned level, uint64_t index,
                    uint8_t out[32])
{
    int rc = get(ctx, level, index, out);
    if (rc == 0)
        return 0;
    return rc < 0 ? rc : TND_EINVAL;
}

/* MTH of leaves [begin, end): the range splits into complete subtrees whose
 * sizes are the binary digits of end - begin, high to low; they combine right
 * to left. Ranges whose pieces would not be aligned complete subtrees are
 * refused rather than computed from many leaves. */
int tnd_merkle_subtree_hash(tnd_merkle_get_fn get, void *ctx, uint64_t begin, uint64_t end,
                            uint8_t out[32])
{
    if (get == NULL || out == NULL || begin >= end)
        return TND_EINVAL;
    if (end > TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    uint64_t n = end - begin;
    uint64_t align = UINT64_C(1) << (63 - __builtin_clzll(n)); /* highest bit of n */
    if (begin % align != 0)
        return TND_EINVAL;

    /* Pieces left to right; at most 64 (n < 2^64 has at most 64 one bits). */
    uint8_t piece[64][HLEN];
    unsigned count = 0;
    uint64_t at = begin;
    for (int bit = 63; bit >= 0; bit--) {
        uint64_t width = UINT64_C(1) << bit;
        if (!(n & width))
            continue;
        int rc = call_get(get, ctx, (unsigned)bit, at >> bit, piece[count]);
        if (rc != 0)
            return rc;
        count++;
        at += width;
    }
    uint8_t h[HLEN];
    memcpy(h, piece[count - 1], HLEN);
    for (unsigned i = count - 1; i-- > 0;) {
        int rc = tnd_merkle_node_hash(piece[i], h, h);
        if (rc != 0)
            return rc;
    }
    memcpy(out, h, HLEN);
    return 0;
}

int tnd_merkle_root(tnd_merkle_get_fn get, void *ctx, uint64_t size, uint8_t out[32])
{
    if (get == NULL || out == NULL)
        return TND_EINVAL;
    if (size > TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    if (size == 0)
        return tnd_merkle_empty_root(out);
    return tnd_merkle_subtree_hash(get, ctx, 0, size, out);
}

/* RFC 6962 PATH(m, D[0:size]) without recursion. The window [lo, hi) narrows
 * from the whole tree to the leaf; each step records the sibling subtree,
 * top-down, so the result is the reverse of the recorded order. Only the first
 * step that goes left, while hi is still size, has a sibling that is not a
 * single stored subtree, which keeps the number of gets O(log size). */
int tnd_merkle_prove_inclusion(tnd_merkle_get_fn get, void *ctx, uint64_t index, uint64_t size,
                               uint8_t (*proof)[32], size_t cap, size_t *len)
{
    if (get == NULL || len == NULL || (proof == NULL && cap > 0))
        return TND_EINVAL;
    if (size > TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    if (index >= size)
        return TND_EINVAL;

    uint8_t sib[TND_MERKLE_MAX_PROOF][HLEN];
    size_t n = 0;
    uint64_t lo = 0, hi = size;
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        int rc;
        if (index < lo + k) {
            rc = tnd_merkle_subtree_hash(get, ctx, lo + k, hi, sib[n]);
            hi = lo + k;
        } else {
            rc = call_get(get, ctx, log2_exact(k), lo / k, sib[n]);
            lo += k;
        }
        if (rc != 0)
            return rc;
        n++;
    }
    if (n > cap)
        return TND_ERANGE;
    for (size_t i = 0; i < n; i++)
        memcpy(proof[i], sib[n - 1 - i], HLEN);
    *len = n;
    return 0;
}

/* RFC 6962 PROOF(m, D[0:size2]) = SUBPROOF(m, D[0:size2], true) without
 * recursion: siblings are recorded top-down and emitted bottom-up, after the
 * hash of the final window when it is not the whole old tree (b false). */
int tnd_merkle_prove_consistency(tnd_merkle_get_fn get, void *ctx, uint64_t size1, uint64_t size2,
                                 uint8_t (*proof)[32], size_t cap, size_t *len)
{
    if (get == NULL || len == NULL || (proof == NULL && cap > 0))
        return TND_EINVAL;
    if (size2 > TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    if (size1 > size2 || (size1 == 0 && size2 > 0))
        return TND_EINVAL;

    uint8_t sib[TND_MERKLE_MAX_PROOF][HLEN];
    uint8_t last[HLEN];
    size_t n = 0;
    int whole = 1; /* SUBPROOF's b: the window is still a prefix of the old tree's root */
    uint64_t lo = 0, hi = size2;
    while (size1 - lo != hi - lo) {
        uint64_t k = split_point(hi - lo);
        int rc;
        if (n == TND_MERKLE_MAX_PROOF)
            return TND_ERANGE; /* cannot happen for sizes up to TND_MERKLE_MAX_SIZE */
        if (size1 - lo <= k) {
            rc = tnd_merkle_subtree_hash(get, ctx, lo + k, hi, sib[n]);
            hi = lo + k;
        } else {
            rc = call_get(get, ctx, log2_exact(k), lo / k, sib[n]);
            lo += k;
            whole = 0;
        }
        if (rc != 0)
            return rc;
        n++;
    }
    size_t total = n + (size1 != size2 && !whole);
    if (total > cap)
        return TND_ERANGE;
    size_t out = 0;
    if (size1 != size2 && !whole) {
        int rc = tnd_merkle_subtree_hash(get, ctx, lo, hi, last);
        if (rc != 0)
            return rc;
        memcpy(proof[out++], last, HLEN);
    }
    for (size_t i = 0; i < n; i++)
        memcpy(proof[out++], sib[n - 1 - i], HLEN);
    *len = total;
    return 0;
}

int tnd_merkle_append(tnd_merkle_get_fn get, tnd_merkle_put_fn put, void *ctx, uint64_t size,
                      const uint8_t leaf_hash[32])
{
    if (get == NULL || put == NULL || leaf_hash == NULL)
        return TND_EINVAL;
    if (size >= TND_MERKLE_MAX_SIZE)
        return TND_ERANGE;
    uint8_t h[HLEN], left[HLEN];
    memcpy(h, leaf_hash, HLEN);
    unsigned level = 0;
    uint64_t index = size;
    for (;;) {
        int rc = put(ctx, level, index, h);
        if (rc != 0)
            return rc < 0 ? rc : TND_EINVAL;
        if (!(index & 1))
            return 0;
        rc = call_get(get, ctx, level, index - 1, left);
        if (rc == 0)
            rc = tnd_merkle_node_hash(left, h, h);
        if (rc != 0)
            return rc;
        level++;
        index >>= 1;
    }
}
