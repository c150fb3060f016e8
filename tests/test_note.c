/* Unit tests of common/note.c and common/b64.c: RFC 8032 Ed25519 tests 1-3,
 * the C2SP signed-note example, the checkpoint signed with RFC 8032 test
 * key 1 (all from tests/data/vectors/ed25519.txt, copied below), and the
 * notes, verifier keys and checkpoints that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tender/encoding.h"
#include "tender/audit.h"

/* ---- vectors ------------------------------------------------------------ */

static const struct {
    const char *seed, *pub, *msg, *sig;
} rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "4"
     "6bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d"
     "8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "6"
     "594a7c15e9716ed28dc027beceea1ec40a"},
};

/* C2SP signed-note example. */
#define EX_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define EX_PUB "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
#define EX_TEXT "This is an example message.\n"
#define EX_SIGB64                                                                                  \
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
#define EX_SIGLINE "\xe2\x80\x94 example.com/foo " EX_SIGB64 "\n"
#define EX_NOTE EX_TEXT "\n" EX_SIGLINE

/* The checkpoint signed with RFC 8032 test key 1. */
#define CP_VKEY "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define CP_ROOT "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
#define CP_TEXT "example.com/tender-log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define CP_SIG                                                                                     \
    "6d1c3c58d82528fec8793998d18a0975ffeff238aac8bc63e69e2c0ded7203fafe0f867400daa9e20c5641c50000" \
    "c6dc0d40f5cbbac74982c7b8e1b7c77bb20a"
#define CP_SIGB64                                                                                  \
    "B0b/q20cPFjYJSj+yHk5mNGKCXX/7/I4qsi8Y+aeLA3tcgP6/g+GdADaqeIMVkHFAADG3A1A9cu6x0mCx7jht8d7sgo="
#define CP_NOTE CP_TEXT "\n\xe2\x80\x94 example.com/tender-log " CP_SIGB64 "\n"

/* ---- helpers ------------------------------------------------------------ */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static EVP_PKEY *ed25519_key(const char *seed_hex)
{
    uint8_t seed[32];
    assert_int_equal(unhex(seed_hex, seed, sizeof seed), 32);
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    assert_non_null(k);
    return k;
}

static int open_str(const char *note, const tnd_note_verifier *v)
{
    return tnd_note_open(note, strlen(note), v, NULL);
}

static tnd_note_verifier verifier(const char *vkey)
{
    tnd_note_verifier v;
    assert_int_equal(tnd_note_verifier_parse(vkey, &v), 0);
    return v;
}

/* ---- base64 ------------------------------------------------------------- */

static void test_b64(void **state)
{
    (void)state;
    static const char *const rfc4648[][2] = {{"", ""},
                                             {"f", "Zg=="},
                                             {"fo", "Zm8="},
                                             {"foo", "Zm9v"},
                                             {"foob", "Zm9vYg=="},
                                             {"fooba", "Zm9vYmE="},
                                             {"foobar", "Zm9vYmFy"}};
    char enc[64];
    uint8_t dec[64];
    size_t n;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof *rfc4648; i++) {
        size_t len = strlen(rfc4648[i][0]);
        tnd_base64_encode((const uint8_t *)rfc4648[i][0], len, enc);
        assert_string_equal(enc, rfc4648[i][1]);
        assert_int_equal(strlen(enc), TND_BASE64_LEN(len));
        assert_int_equal(tnd_base64_decode(enc, strlen(enc), dec, sizeof dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, rfc4648[i][0], len);
    }
    /* Every byte value and length round-trips. */
    uint8_t all[48];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (uint8_t)(i * 37 + 250);
    for (size_t len = 0; len <= sizeof all; len++) {
        char e[TND_BASE64_LEN(sizeof all) + 1];
        tnd_base64_encode(all, len, e);
        assert_int_equal(tnd_base64_decode(e, strlen(e), dec, sizeof dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, all, len);
    }
    /* Only the canonical form. */
    static const char *const bad[] = {"Zg",        "Zg=",  "Zh==",   "Zm9=",     "Zg==\n",
                                      "Zm9v YmFy", "Z===", "====",   "=Zg=",     "Zg=a",
                                      "Zm-v",      "Zm_v", "Zm9v\0", "Zg==Zg==", "Zm8=Zm9v"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(tnd_base64_decode(bad[i], strlen(bad[i]) + (i == 12), dec, sizeof dec, &n),
                         TND_EMALFORMED);
    assert_int_equal(tnd_base64_decode("Zm9vYmFy", 8, dec, 5, &n), TND_ERANGE);
    assert_int_equal(tnd_base64_decode("Zm9vYmFy", 8, dec, 6, &n), 0);
}

/* ---- Ed25519 (RFC 8032 section 7.1, tests 1-3) -------------------------- */

static void test_rfc8032(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc8032 / sizeof *rfc8032; i++) {
        uint8_t pub[32], want_pub[32], msg[8], sig[64], want_sig[64];
        size_t pub_len = sizeof pub, sig_len = sizeof sig;
        size_t msg_len = unhex(rfc8032[i].msg, msg, sizeof msg);
        unhex(rfc8032[i].pub, want_pub, sizeof want_pub);
        unhex(rfc8032[i].sig, want_sig, sizeof want_sig);

        EVP_PKEY *k = ed25519_key(rfc8032[i].seed);
        assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pub_len), 1);
        assert_memory_equal(pub, want_pub, 32);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
        assert_int_equal(EVP_DigestSign(md, sig, &sig_len, msg, msg_len), 1);
        assert_int_equal(sig_len, 64);
        assert_memory_equal(sig, want_sig, 64);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(k);

        EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, want_pub, 32);
        assert_non_null(p);
        md = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, p), 1);
        assert_int_equal(EVP_DigestVerify(md, want_sig, 64, msg, msg_len), 1);
        want_sig[10] ^= 0x01;
        assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, p), 1);
        assert_int_not_equal(EVP_DigestVerify(md, want_sig, 64, msg, msg_len), 1);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(p);
    }
}

/* ---- verifier keys ------------------------------------------------------ */

static void test_verifier_keys(void **state)
{
    (void)state;
    uint8_t pub[32];
    char s[TND_NOTE_VKEY_MAX];
    tnd_note_verifier v = verifier(EX_VKEY);
    assert_string_equal(v.name, "example.com/foo");
    assert_int_equal(v.key_id, 0x530d903a);
    unhex(EX_PUB, pub, sizeof pub);
    assert_memory_equal(v.key, pub, 32);
    assert_int_equal(tnd_note_verifier_format("example.com/foo", pub, s, sizeof s), 0);
    assert_string_equal(s, EX_VKEY);
    assert_int_equal(tnd_note_verifier_format("example.com/foo", pub, s, strlen(EX_VKEY)),
                     TND_ERANGE);
    uint32_t id;
    assert_int_equal(tnd_note_key_id("example.com/foo", pub, &id), 0);
    assert_int_equal(id, 0x530d903a);

    /* Test key 1 under the log's name. */
    unhex(rfc8032[0].pub, pub, sizeof pub);
    assert_int_equal(tnd_note_verifier_format("example.com/tender-log", pub, s, sizeof s), 0);
    assert_string_equal(s, CP_VKEY);
    v = verifier(CP_VKEY);
    assert_int_equal(v.key_id, 0x0746ffab);

    /* A name of the longest length; one byte more is refused. */
    char name[TND_NOTE_MAX_NAME + 2];
    memset(name, 'n', sizeof name);
    name[TND_NOTE_MAX_NAME] = '\0';
    assert_int_equal(tnd_note_verifier_format(name, pub, s, sizeof s), 0);
    v = verifier(s);
    assert_string_equal(v.name, name);
    name[TND_NOTE_MAX_NAME] = 'n';
    name[TND_NOTE_MAX_NAME + 1] = '\0';
    assert_int_equal(tnd_note_verifier_format(name, pub, s, sizeof s), TND_EINVAL);

    /* Names that are refused. */
    static const char *const bad_names[] = {"",
                                            "a b",
                                            "a+b",
                                            "a\tb",
                                            "a\nb",
                                            "a\xc2\xa0"
                                            "b",
                                            "\xff",
                                            "a\xe2\x80\x83",
                                            "\xc0\xaf",
                                            "a\x7f"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        assert_int_equal(tnd_note_verifier_format(bad_names[i], pub, s, sizeof s), TND_EINVAL);
        assert_int_equal(tnd_note_key_id(bad_names[i], pub, &id), TND_EINVAL);
    }
    /* A UTF-8 name is fine. */
    assert_int_equal(tnd_note_verifier_format("b\xc3\xbc"
                                              "ro.example",
                                              pub, s, sizeof s),
                     0);
    v = verifier(s);

    /* Verifier key strings that are refused. */
    static const char *const bad[] = {
        "",
        "example.com/foo",
        "example.com/foo+530d903a",
        "example.com/foo+530d903a+",
        "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",                /* empty name */
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* upper hex */
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* wrong id */
        "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* wrong name */
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l", /* wrong key */
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k ",
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", /* short */
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=",
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U*k", /* alphabet */
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", /* type 0x02 */
        "example.com/foo+530d903a+6TJ5Gubnn6hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U0=", /* 32 bytes */
        "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",     /* space */
        "a+b+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",             /* '+' */
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+extra",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tnd_note_verifier w;
        memset(&w, 0xa5, sizeof w);
        tnd_note_verifier copy = w;
        assert_int_equal(tnd_note_verifier_parse(bad[i], &w), TND_EMALFORMED);
        assert_memory_equal(&w, &copy, sizeof w); /* untouched */
    }
    assert_int_equal(tnd_note_verifier_parse(NULL, &v), TND_EINVAL);
    assert_int_equal(tnd_note_verifier_parse(EX_VKEY, NULL), TND_EINVAL);
}

/* ---- notes -------------------------------------------------------------- */

static void test_c2sp_example(void **state)
{
    (void)state;
    tnd_note_verifier v = verifier(EX_VKEY);
    char *text = NULL;
    assert_int_equal(tnd_note_open(EX_NOTE, strlen(EX_NOTE), &v, &text), 0);
    assert_string_equal(text, EX_TEXT);
    free(text);

    /* One byte of the text changed, anywhere: the signature fails. */
    char note[] = EX_NOTE;
    for (size_t i = 0; i < strlen(EX_TEXT) - 1; i++) {
        char c = note[i];
        note[i] = c == 'x' ? 'y' : 'x';
        text = NULL;
        assert_int_equal(tnd_note_open(note, strlen(note), &v, &text), TND_ECRYPTO);
        assert_null(text);
        note[i] = c;
    }
    assert_int_equal(open_str(note, &v), 0);
}

static void test_checkpoint_vector(void **state)
{
    (void)state;
    tnd_note_verifier v = verifier(CP_VKEY);
    tnd_checkpoint c;
    uint8_t root[32], sig[64];
    unhex(CP_ROOT, root, sizeof root);
    unhex(CP_SIG, sig, sizeof sig);

    assert_int_equal(tnd_checkpoint_verify(CP_NOTE, strlen(CP_NOTE), &v, &c), 0);
    assert_string_equal(c.origin, "example.com/tender-log");
    assert_int_equal(c.size, 8);
    assert_memory_equal(c.root, root, 32);

    /* The same bytes come out of format and sign: Ed25519 is deterministic. */
    char text[TND_CHECKPOINT_TEXT_MAX];
    assert_int_equal(tnd_checkpoint_format(&c, text, sizeof text), 0);
    assert_string_equal(text, CP_TEXT);
    EVP_PKEY *k = ed25519_key(rfc8032[0].seed);
    char *note = NULL;
    assert_int_equal(tnd_note_sign(text, "example.com/tender-log", k, &note), 0);
    assert_string_equal(note, CP_NOTE);
    free(note);
    EVP_PKEY_free(k);

    /* The signature in the vector is the one in the note. */
    uint8_t blob[68];
    size_t n;
    assert_int_equal(tnd_base64_decode(CP_SIGB64, strlen(CP_SIGB64), blob, sizeof blob, &n), 0);
    assert_int_equal(n, 68);
    assert_memory_equal(blob, "\x07\x46\xff\xab", 4);
    assert_memory_equal(blob + 4, sig, 64);

    /* Signed by someone else: not found; tampered size: bad signature. */
    tnd_note_verifier ex = verifier(EX_VKEY);
    assert_int_equal(tnd_checkpoint_verify(CP_NOTE, strlen(CP_NOTE), &ex, &c), TND_ENOTFOUND);
    char bad[] = CP_NOTE;
    bad[strlen("example.com/tender-log\n")] = '9';
    assert_int_equal(tnd_checkpoint_verify(bad, strlen(bad), &v, &c), TND_ECRYPTO);
}

static void test_sign_and_open(void **state)
{
    (void)state;
    EVP_PKEY *k1 = ed25519_key(rfc8032[1].seed);
    EVP_PKEY *k2 = ed25519_key(rfc8032[2].seed);
    uint8_t pub1[32], pub2[32];
    char vk1[TND_NOTE_VKEY_MAX], vk2[TND_NOTE_VKEY_MAX];
    unhex(rfc8032[1].pub, pub1, 32);
    unhex(rfc8032[2].pub, pub2, 32);
    assert_int_equal(tnd_note_verifier_format("log.example/a", pub1, vk1, sizeof vk1), 0);
    assert_int_equal(tnd_note_verifier_format("witness.example", pub2, vk2, sizeof vk2), 0);
    tnd_note_verifier v1 = verifier(vk1), v2 = verifier(vk2);

    /* Texts with blank lines inside, a lone newline, UTF-8. */
    static const char *const texts[] = {"a\n", "\n", "a\n\nb\n", "a\n\n\n",
                                        "caf\xc3\xa9 \xe2\x82\xac\n"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char *note = NULL, *text = NULL;
        assert_int_equal(tnd_note_sign(texts[i], "log.example/a", k1, &note), 0);
        assert_int_equal(tnd_note_open(note, strlen(note), &v1, &text), 0);
        assert_string_equal(text, texts[i]);
        free(text);
        assert_int_equal(open_str(note, &v2), TND_ENOTFOUND);
        free(note);
    }

    /* Cosigned: a witness line after the log's; each key finds its own, and
     * other signers' lines (even unknown algorithms) are ignored. */
    char *n1 = NULL, *n2 = NULL;
    assert_int_equal(tnd_note_sign("tree\n", "log.example/a", k1, &n1), 0);
    assert_int_equal(tnd_note_sign("tree\n", "witness.example", k2, &n2), 0);
    const char *w_line = strstr(n2, "\n\n") + 2;
    const char *unknown = "\xe2\x80\x94 other.example AAAAAAAAAAAAAAAA\n";
    char both[1024];
    snprintf(both, sizeof both, "%s%s%s", n1, unknown, w_line);
    assert_int_equal(open_str(both, &v1), 0);
    assert_int_equal(open_str(both, &v2), 0);

    /* The same key under another name, or another key under the same name. */
    tnd_note_verifier renamed = v1;
    strcpy(renamed.name, "log.example/b");
    assert_int_equal(open_str(both, &renamed), TND_ENOTFOUND);
    tnd_note_verifier other_key = v1;
    memcpy(other_key.key, pub2, 32); /* same name and key id, wrong key */
    assert_int_equal(open_str(n1, &other_key), TND_ECRYPTO);
    char vk[TND_NOTE_VKEY_MAX];
    assert_int_equal(tnd_note_verifier_format("log.example/a", pub2, vk, sizeof vk), 0);
    tnd_note_verifier wrong = verifier(vk);
    assert_int_equal(open_str(n1, &wrong), TND_ENOTFOUND);

    /* Two signatures by v: malformed. */
    char twice[1024];
    const char *l1 = strstr(n1, "\n\n") + 2;
    snprintf(twice, sizeof twice, "%s%s", n1, l1);
    assert_int_equal(open_str(twice, &v1), TND_EMALFORMED);

    /* Any flipped bit of the signature is refused. */
    char flip[1024];
    strcpy(flip, n1);
    char *b64 = strrchr(flip, ' ') + 1;
    for (size_t i = 8; b64[i + 2] != '\n'; i++) { /* past the key id; before the last char */
        char c = b64[i];
        b64[i] = c == 'A' ? 'B' : 'A';
        assert_int_equal(open_str(flip, &v1), TND_ECRYPTO);
        b64[i] = c;
    }
    assert_int_equal(open_str(flip, &v1), 0);

    /* Signing refuses bad texts, names and keys. */
    char *out = NULL;
    assert_int_equal(tnd_note_sign("no newline", "a", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("", "a", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("tab\there\n", "a", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("cr\r\n", "a", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("bad \xff utf8\n", "a", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("x\n", "a b", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("x\n", "a+b", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("x\n", "", k1, &out), TND_EINVAL);
    assert_int_equal(tnd_note_sign("x\n", "a", NULL, &out), TND_EINVAL);
    EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    assert_non_null(x);
    assert_int_equal(tnd_note_sign("x\n", "a", x, &out), TND_EINVAL);
    EVP_PKEY_free(x);
    EVP_PKEY *pub_only = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub1, 32);
    assert_non_null(pub_only);
    assert_int_equal(tnd_note_sign("x\n", "a", pub_only, &out), TND_ECRYPTO);
    EVP_PKEY_free(pub_only);
    assert_null(out);

    free(n1);
    free(n2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}

static void test_malformed_notes(void **state)
{
    (void)state;
    tnd_note_verifier v = verifier(EX_VKEY);
    static const char *const bad[] = {
        "",
        EX_TEXT,                                                  /* no signatures */
        EX_TEXT EX_SIGLINE,                                       /* no blank line */
        EX_TEXT "\n",                                             /* blank line, nothing after */
        EX_TEXT "\n\xe2\x80\x94 example.com/foo " EX_SIGB64,      /* no final newline */
        EX_TEXT "\n- example.com/foo " EX_SIGB64 "\n",            /* hyphen, not the em dash */
        EX_TEXT "\n\xe2\x80\x93 example.com/foo " EX_SIGB64 "\n", /* en dash */
        EX_TEXT "\n\xe2\x80\x94"
                "example.com/foo " EX_SIGB64 "\n",                 /* no space */
        EX_TEXT "\n\xe2\x80\x94 example.com/foo\n",                /* no signature */
        EX_TEXT "\n\xe2\x80\x94 example.com/foo \n",               /* empty signature */
        EX_TEXT "\n\xe2\x80\x94 example.com/foo  " EX_SIGB64 "\n", /* two spaces */
        EX_TEXT "\n\xe2\x80\x94 example.com/foo " EX_SIGB64 " \n", /* trailing space */
        EX_TEXT
        "\n\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Z"
        "tg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQ\n", /* bad base64: padding cut */
        EX_TEXT
        "\n\xe2\x80\x94 example.com/foo Uw2Q!kn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Z"
        "tg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",        /* bad base64: alphabet */
        EX_TEXT "\n\xe2\x80\x94 example.com/foo Uw2QOg==\n", /* fewer than 5 bytes */
        EX_TEXT "\n" EX_SIGLINE "\n",                        /* empty line after */
        EX_TEXT "\n" EX_SIGLINE "trailing text\n",           /* a line that is no signature */
        "This is an\texample message.\n\n" EX_SIGLINE,       /* control character */
        "This is an \xff example.\n\n" EX_SIGLINE,           /* not UTF-8 */
        "This is an \xed\xa0\x80 example.\n\n" EX_SIGLINE,   /* a surrogate */
        EX_TEXT "\n" EX_SIGLINE EX_SIGLINE,                  /* two signatures by v */
        EX_TEXT "\r\n" EX_SIGLINE,                           /* CR */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *text = NULL;
        int rc = tnd_note_open(bad[i], strlen(bad[i]), &v, &text);
        if (rc != TND_EMALFORMED)
            print_error("case %zu: %d\n", i, rc);
        assert_int_equal(rc, TND_EMALFORMED);
        assert_null(text);
    }
    /* A NUL byte inside the note. */
    char nul[] = EX_NOTE;
    nul[3] = '\0';
    assert_int_equal(tnd_note_open(nul, sizeof nul - 1, &v, NULL), TND_EMALFORMED);

    /* A truncated signature that is still valid base64: too short for Ed25519. */
    const char *short_sig =
        EX_TEXT "\n\xe2\x80\x94 example.com/foo "
                "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYj"
                "OBH3mFXmRKuwHjG1Yu72IneyaQ==\n";
    assert_int_equal(open_str(short_sig, &v), TND_ECRYPTO);
    /* Only signers v does not know. */
    assert_int_equal(open_str(EX_TEXT "\n\xe2\x80\x94 someone.else " EX_SIGB64 "\n", &v),
                     TND_ENOTFOUND);

    /* Size and signature-count limits. */
    size_t big = TND_NOTE_MAX_SIZE + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, 'a', big);
    size_t tail = strlen("\n" EX_SIGLINE);
    memcpy(huge + big - tail, "\n" EX_SIGLINE, tail);
    huge[big - tail - 1] = '\n';
    huge[big] = '\0';
    assert_int_equal(tnd_note_open(huge, big, &v, NULL), TND_EMALFORMED);
    free(huge);

    size_t line = strlen("\xe2\x80\x94 x.example AAAAAAAA\n");
    char *many = malloc(strlen(EX_NOTE) + (TND_NOTE_MAX_SIGS + 1) * line + 1);
    assert_non_null(many);
    char *p = many + sprintf(many, "%s", EX_NOTE);
    for (int i = 0; i < TND_NOTE_MAX_SIGS - 1; i++)
        p += sprintf(p, "\xe2\x80\x94 x.example AAAAAAAA\n");
    assert_int_equal(open_str(many, &v), 0); /* exactly TND_NOTE_MAX_SIGS lines */
    sprintf(p, "\xe2\x80\x94 x.example AAAAAAAA\n");
    assert_int_equal(open_str(many, &v), TND_EMALFORMED);
    free(many);

    assert_int_equal(tnd_note_open(NULL, 0, &v, NULL), TND_EINVAL);
    assert_int_equal(tnd_note_open(EX_NOTE, strlen(EX_NOTE), NULL, NULL), TND_EINVAL);
}

/* ---- checkpoints -------------------------------------------------------- */

static void test_checkpoint_parse(void **state)
{
    (void)state;
    tnd_checkpoint c;
    const char *root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
    char text[1024];

    /* Extension lines are allowed and ignored. */
    snprintf(text, sizeof text, "o\n0\n%s\next one\next two\n", root);
    assert_int_equal(tnd_checkpoint_parse(text, &c), 0);
    assert_string_equal(c.origin, "o");
    assert_int_equal(c.size, 0);
    snprintf(text, sizeof text, "o\n18446744073709551615\n%s\n", root);
    assert_int_equal(tnd_checkpoint_parse(text, &c), 0);
    assert_true(c.size == UINT64_MAX);

    static const char *const bad_size[] = {"08", "00", "-1",  "+1",  " 8",
                                           "8 ", "",   "0x8", "1e3", "\xef\xbc\x98"};
    for (size_t i = 0; i < sizeof bad_size / sizeof *bad_size; i++) {
        snprintf(text, sizeof text, "o\n%s\n%s\n", bad_size[i], root);
        assert_int_equal(tnd_checkpoint_parse(text, &c), TND_EMALFORMED);
    }
    snprintf(text, sizeof text, "o\n18446744073709551616\n%s\n", root);
    assert_int_equal(tnd_checkpoint_parse(text, &c), TND_ERANGE);
    snprintf(text, sizeof text, "o\n99999999999999999999999\n%s\n", root);
    assert_int_equal(tnd_checkpoint_parse(text, &c), TND_ERANGE);

    static const char *const bad[] = {
        "",
        "o\n8\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",   /* no final newline */
        "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",  /* empty origin */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n", /* 31 bytes */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygA\n", /* 33 bytes */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n", /* not canonical */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz-Nw7_RgQyg=\n", /* URL alphabet */
        "o\n8\n XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n",  /* empty extension line */
        "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next", /* unterminated extension */
        "o\r\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&c, 0x5a, sizeof c);
        tnd_checkpoint copy = c;
        assert_int_equal(tnd_checkpoint_parse(bad[i], &c), TND_EMALFORMED);
        assert_memory_equal(&c, &copy, sizeof c);
    }

    /* Origins of 255 bytes are fine; 256 are too long. */
    char origin[257];
    memset(origin, 'o', sizeof origin);
    origin[255] = '\0';
    snprintf(text, sizeof text, "%s\n1\n%s\n", origin, root);
    assert_int_equal(tnd_checkpoint_parse(text, &c), 0);
    assert_int_equal(strlen(c.origin), 255);
    char out[TND_CHECKPOINT_TEXT_MAX];
    c.size = UINT64_MAX;
    assert_int_equal(tnd_checkpoint_format(&c, out, sizeof out), 0);
    assert_int_equal(strlen(out) + 1, TND_CHECKPOINT_TEXT_MAX);
    assert_int_equal(tnd_checkpoint_format(&c, out, sizeof out - 1), TND_ERANGE);
    origin[255] = 'o';
    origin[256] = '\0';
    snprintf(text, sizeof text, "%s\n1\n%s\n", origin, root);
    assert_int_equal(tnd_checkpoint_parse(text, &c), TND_ERANGE);

    /* Formatting refuses origins that would not parse back. */
    tnd_checkpoint f = {.origin = "a\nb", .size = 1};
    assert_int_equal(tnd_checkpoint_format(&f, out, sizeof out), TND_EINVAL);
    strcpy(f.origin, "");
    assert_int_equal(tnd_checkpoint_format(&f, out, sizeof out), TND_EINVAL);
    memset(f.origin, 'x', sizeof f.origin); /* no NUL */
    assert_int_equal(tnd_checkpoint_format(&f, out, sizeof out), TND_EINVAL);
    strcpy(f.origin, "tender.example/log");
    f.size = 1234567;
    memset(f.root, 0xab, 32);
    assert_int_equal(tnd_checkpoint_format(&f, out, sizeof out), 0);
    tnd_checkpoint g;
    assert_int_equal(tnd_checkpoint_parse(out, &g), 0);
    assert_memory_equal(&f, &g, offsetof(tnd_checkpoint, origin) + strlen(f.origin) + 1);
    assert_int_equal(g.size, f.size);
    assert_memory_equal(g.root, f.root, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_rfc8032),
        cmocka_unit_test(test_verifier_keys),
        cmocka_unit_test(test_c2sp_example),
        cmocka_unit_test(test_checkpoint_vector),
        cmocka_unit_test(test_sign_and_open),
        cmocka_unit_test(test_malformed_notes),
        cmocka_unit_test(test_checkpoint_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
