/* Offline verification of the tenderd transparency log.
 *
 * Everything an auditor needs to check what a tenderd server publishes,
 * without talking to it: RFC 6962 / RFC 9162 Merkle tree hashing with
 * SHA-256, inclusion and consistency proofs, C2SP signed notes with Ed25519
 * (https://c2sp.org/signed-note) and C2SP tlog checkpoints
 * (https://c2sp.org/tlog-checkpoint). docs/LOG.md specifies the formats.
 *
 * The server side uses the same module: proof generation and appends read and
 * write node hashes through callbacks, so that a store (LMDB) can back the
 * tree with O(log n) reads per proof.
 *
 * Every fallible function returns 0 or a negative TND_E* code (tender/error.h).
 * The library never aborts. Codes used here:
 *   TND_EINVAL     an argument the caller controls is wrong (NULL pointer,
 *                  index >= size, size1 > size2, a bad name).
 *   TND_ECRYPTO    a proof or signature does not verify, or OpenSSL failed.
 *   TND_EMALFORMED untrusted text (note, checkpoint, key string) is not in
 *                  its format.
 *   TND_ERANGE     a size beyond TND_MERKLE_MAX_SIZE, a number that overflows,
 *                  or an output buffer that is too small.
 *   TND_ENOTFOUND  a note carries no signature by the expected key.
 *   TND_ENOMEM     out of memory.
 * Callbacks return 0 or a negative TND_E* code; a callback's negative code is
 * passed through unchanged (a positive one becomes TND_EINVAL).
 */
#ifndef TENDER_AUDIT_H
#define TENDER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "tender/error.h"

/* ---- Merkle tree (RFC 6962 / RFC 9162, SHA-256) ------------------------- */

/* Bytes of a hash. */
#define TND_MERKLE_HASH_LEN 32
/* Largest tree size handled. With sizes up to 2^63, every inclusion and
 * consistency proof has at most TND_MERKLE_MAX_PROOF hashes. */
#define TND_MERKLE_MAX_SIZE (UINT64_C(1) << 63)
/* Most hashes in a proof. */
#define TND_MERKLE_MAX_PROOF 64

/** Hash of a leaf: SHA-256(0x00 || data). data may be NULL when len is 0.
 * @return 0; TND_EINVAL; TND_ECRYPTO when OpenSSL fails. */
TND_MUST_CHECK int tnd_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32]);

/** Hash of an inner node: SHA-256(0x01 || l || r).
 * @return 0; TND_EINVAL; TND_ECRYPTO when OpenSSL fails. */
TND_MUST_CHECK int tnd_merkle_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);

/** Root of the empty tree: SHA-256("") (e3b0c442...b855).
 * @return 0; TND_EINVAL; TND_ECRYPTO. */
TND_MUST_CHECK int tnd_merkle_empty_root(uint8_t out[32]);

/** Verify that leaf_hash is leaf number index (0-based) of the tree of size
 * leaves whose root is root (RFC 9162 section 2.1.3.2).
 *
 * @param proof     proof_len hashes, the one next to the leaf first (RFC 6962
 *                  PATH order); may be NULL when proof_len is 0.
 * @return 0 when the proof holds; TND_ECRYPTO when it does not (wrong hash,
 *         too short, too long, more than TND_MERKLE_MAX_PROOF hashes);
 *         TND_EINVAL for NULL pointers or index >= size (so for size 0);
 *         TND_ERANGE for size > TND_MERKLE_MAX_SIZE.
 */
TND_MUST_CHECK int tnd_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                               const uint8_t leaf_hash[32],
                                               const uint8_t (*proof)[32], size_t proof_len,
                                               const uint8_t root[32]);

/** Verify that the tree of size1 leaves with root root1 is a prefix of the
 * tree of size2 leaves with root root2 (RFC 9162 section 2.1.4.2).
 *
 * size1 == size2 holds with an empty proof and equal roots. size1 == 0 is
 * refused with TND_EINVAL when size2 > 0: RFC 9162 defines consistency proofs
 * for 0 < size1 < size2 only, and every tree extends the empty one, so an
 * auditor with no earlier checkpoint has nothing to check.
 *
 * @param proof     proof_len hashes in RFC 6962 PROOF order; may be NULL when
 *                  proof_len is 0.
 * @return 0 when the proof holds; TND_ECRYPTO when it does not; TND_EINVAL
 *         for NULL pointers, size1 > size2, or size1 == 0 < size2;
 *         TND_ERANGE for size2 > TND_MERKLE_MAX_SIZE.
 */
TND_MUST_CHECK int tnd_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                                 const uint8_t root1[32], const uint8_t root2[32],
                                                 const uint8_t (*proof)[32], size_t proof_len);

/** Read the hash of the complete subtree at (level, index): the node covering
 * leaves [index * 2^level, (index + 1) * 2^level); level 0 are leaf hashes.
 * The module only asks for subtrees inside the tree size it was given.
 * @return 0 with out filled, or a negative TND_E* code (passed through). */
typedef int (*tnd_merkle_get_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

/** Store the hash of the complete subtree at (level, index).
 * @return 0, or a negative TND_E* code (passed through). */
typedef int (*tnd_merkle_put_fn)(void *ctx, unsigned level, uint64_t index, const uint8_t h[32]);

/** Root of the tree of the first size leaves: the complete subtrees of the
 * binary decomposition of size, combined right to left. At most 63 gets;
 * size 0 gives SHA-256("") without any.
 * @return 0; TND_EINVAL; TND_ERANGE for size > TND_MERKLE_MAX_SIZE; TND_ECRYPTO;
 *         a callback's code.
 */
TND_MUST_CHECK int tnd_merkle_root(tnd_merkle_get_fn get, void *ctx, uint64_t size,
                                   uint8_t out[32]);

/** MTH of leaves [begin, end) from stored complete subtrees only (at most 64 gets).
 *
 * Only ranges that occur in RFC 6962 trees are accepted: begin must be a
 * multiple of the largest power of two not above end - begin, so that the
 * range is a sequence of aligned complete subtrees, largest first. Every
 * prefix [0, end) qualifies, as does every subtree the proofs use.
 * @return 0; TND_EINVAL for begin >= end or an unaligned range; TND_ERANGE for
 *         end > TND_MERKLE_MAX_SIZE; TND_ECRYPTO; a callback's code.
 */
TND_MUST_CHECK int tnd_merkle_subtree_hash(tnd_merkle_get_fn get, void *ctx, uint64_t begin,
                                           uint64_t end, uint8_t out[32]);

/** Inclusion proof of leaf index in the tree of size leaves (RFC 6962 PATH).
 *
 * Writes *len hashes (leaf-adjacent first) into proof[0..cap). At most 2*64
 * gets. *len is 0 for a tree of one leaf.
 * @return 0; TND_EINVAL for NULL pointers or index >= size; TND_ERANGE when
 *         cap is too small or size > TND_MERKLE_MAX_SIZE; TND_ECRYPTO; a
 *         callback's code.
 */
TND_MUST_CHECK int tnd_merkle_prove_inclusion(tnd_merkle_get_fn get, void *ctx, uint64_t index,
                                              uint64_t size, uint8_t (*proof)[32], size_t cap,
                                              size_t *len);

/** Consistency proof between the trees of size1 and size2 leaves (RFC 6962
 * PROOF). Empty when size1 == size2. At most 2*64 gets.
 * @return 0; TND_EINVAL for NULL pointers, size1 > size2, or size1 == 0 <
 *         size2; TND_ERANGE when cap is too small or size2 >
 *         TND_MERKLE_MAX_SIZE; TND_ECRYPTO; a callback's code.
 */
TND_MUST_CHECK int tnd_merkle_prove_consistency(tnd_merkle_get_fn get, void *ctx, uint64_t size1,
                                                uint64_t size2, uint8_t (*proof)[32], size_t cap,
                                                size_t *len);

/** Append leaf_hash as leaf number size: put (0, size), then, while the new
 * node's index is odd, combine it with its left sibling (one get) and put the
 * parent one level up. At most 63 gets and 64 puts. On an error the caller's
 * store must drop the puts made so far (LMDB: abort the transaction).
 * @return 0; TND_EINVAL; TND_ERANGE when the tree already has
 *         TND_MERKLE_MAX_SIZE leaves; TND_ECRYPTO; a callback's code.
 */
TND_MUST_CHECK int tnd_merkle_append(tnd_merkle_get_fn get, tnd_merkle_put_fn put, void *ctx,
                                     uint64_t size, const uint8_t leaf_hash[32]);

/* ---- C2SP signed notes with Ed25519 ------------------------------------- */

/* Longest key name, in bytes (UTF-8, no spaces, no '+'). */
#define TND_NOTE_MAX_NAME 255
/* Largest note accepted by tnd_note_open, in bytes. */
#define TND_NOTE_MAX_SIZE (1u << 20)
/* Most signature lines tnd_note_open looks at. */
#define TND_NOTE_MAX_SIGS 100
/* Signature type byte of Ed25519 keys in key ids and key strings. */
#define TND_NOTE_ALG_ED25519 0x01
/* Room for a verifier key string with the longest name, with its NUL:
 * name + '+' + 8 hex + '+' + 44 base64 + NUL. */
#define TND_NOTE_VKEY_MAX (TND_NOTE_MAX_NAME + 1 + 8 + 1 + 44 + 1)

/** A verifier key: who signs, and the Ed25519 public key to check with. */
typedef struct tnd_note_verifier {
    char name[TND_NOTE_MAX_NAME + 1]; /* NUL-terminated */
    uint32_t key_id;                  /* first 4 bytes of SHA-256(name \n 0x01 key), big-endian */
    uint8_t key[32];                  /* Ed25519 public key */
} tnd_note_verifier;

/** Key id of an Ed25519 key: the first 4 bytes, big-endian, of
 * SHA-256(name || 0x0A || 0x01 || pub).
 * @return 0; TND_EINVAL for a bad name; TND_ECRYPTO. */
TND_MUST_CHECK int tnd_note_key_id(const char *name, const uint8_t pub[32], uint32_t *out);

/** Parse a verifier key string "name+hex8+base64(0x01 || pub)".
 *
 * Strict: the name is 1..TND_NOTE_MAX_NAME bytes of UTF-8 with no '+', no
 * Unicode spaces and no control characters; the key id is 8 lowercase hex
 * digits and must match the name and key; the base64 is canonical (padded,
 * no whitespace) and decodes to exactly 33 bytes starting with 0x01.
 * @return 0; TND_EINVAL for NULL pointers; TND_EMALFORMED otherwise
 *         (including a key id that does not match). *out is only written on success.
 */
TND_MUST_CHECK int tnd_note_verifier_parse(const char *vkey, tnd_note_verifier *out);

/** Format the verifier key string of name and pub into out (cap bytes,
 * TND_NOTE_VKEY_MAX is always enough), NUL-terminated.
 * @return 0; TND_EINVAL for a bad name; TND_ERANGE when cap is too small;
 *         TND_ECRYPTO. */
TND_MUST_CHECK int tnd_note_verifier_format(const char *name, const uint8_t pub[32], char *out,
                                            size_t cap);

/** Sign text as name with an Ed25519 private key.
 *
 * text must be non-empty valid UTF-8 ending with "\n" and contain no control
 * characters other than "\n". The result, in a malloc'd NUL-terminated
 * string the caller frees, is text, "\n", and one signature line
 * "\u2014 name base64(key_id || signature)\n" (U+2014 EM DASH, a space).
 * @return 0; TND_EINVAL for a bad text (also one above TND_NOTE_MAX_SIZE),
 *         a bad name, or a key that is not Ed25519; TND_ECRYPTO when signing
 *         fails (a key without its private part); TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_note_sign(const char *text, const char *name, EVP_PKEY *ed25519_priv,
                                 char **out_note);

/** Check the signature by v on a signed note and return its text.
 *
 * The note is split at its last "\n\n": the text is everything before, with
 * its final "\n"; after it come signature lines "\u2014 name base64\n".
 * Lines by other signers are ignored (at most TND_NOTE_MAX_SIGS lines).
 * @param text_out  When not NULL, receives a malloc'd NUL-terminated copy of
 *                  the text (including its final newline) on success only.
 * @return 0 when a signature by v (same name and key id) verifies;
 *         TND_ECRYPTO when v's signature does not verify (or has the wrong
 *         length); TND_ENOTFOUND when no line is signed by v;
 *         TND_EMALFORMED for a note larger than TND_NOTE_MAX_SIZE, not UTF-8,
 *         with control characters, without the blank line, with a line that
 *         is not a signature line, with bad base64, or with two signatures
 *         by v; TND_EINVAL for NULL pointers; TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_note_open(const char *note, size_t len, const tnd_note_verifier *v,
                                 char **text_out);

/* ---- C2SP tlog checkpoints ---------------------------------------------- */

/* Room for the text of a checkpoint with the longest origin, with its NUL. */
#define TND_CHECKPOINT_TEXT_MAX (255 + 1 + 20 + 1 + 44 + 1 + 1)

/** A checkpoint's body. */
typedef struct tnd_checkpoint {
    char origin[256]; /* NUL-terminated, 1..255 bytes of UTF-8, no control characters */
    uint64_t size;    /* tree size */
    uint8_t root[32]; /* root hash of the tree of size leaves */
} tnd_checkpoint;

/** Format c as "origin\n<size in decimal>\n<base64 root>\n" (no extension
 * lines) into text (cap bytes, NUL-terminated).
 * @return 0; TND_EINVAL for a bad origin; TND_ERANGE when cap is too small. */
TND_MUST_CHECK int tnd_checkpoint_format(const tnd_checkpoint *c, char *text, size_t cap);

/** Parse a checkpoint text (a NUL-terminated string).
 *
 * Strict: three "\n"-terminated lines (origin, 1..255 bytes; size, decimal
 * without a sign or leading zeros except "0"; root, canonical base64 of
 * exactly 32 bytes), then any number of non-empty extension lines, which are
 * ignored. *out is only written on success.
 * @return 0; TND_EINVAL for NULL pointers; TND_EMALFORMED; TND_ERANGE for a
 *         size above 2^64-1 or an origin longer than 255 bytes.
 */
TND_MUST_CHECK int tnd_checkpoint_parse(const char *text, tnd_checkpoint *out);

/** tnd_note_open then tnd_checkpoint_parse on the signed text. The caller
 * should also check that out->origin is the log it expects.
 * @return as for tnd_note_open and tnd_checkpoint_parse.
 */
TND_MUST_CHECK int tnd_checkpoint_verify(const char *note, size_t len, const tnd_note_verifier *v,
                                         tnd_checkpoint *out);

#endif
