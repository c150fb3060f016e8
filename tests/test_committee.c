/* The opening committee's rules on an in-process server
 * (tender/committee.h, docs/SEALED.md "The committee"): create, edit and
 * publish refuse a member name or key listed twice, a key of low order, an
 * opening key that is a member's, a sealed share of the wrong length, k > n
 * and k < 1, each with a message naming the field; an opening key serves one
 * tender only (the opening_keys index), on create, edit and publish; an
 * amendment cannot change the committee. Publish is shown with drafts
 * altered in the database (create and edit refuse the inputs), as a
 * database written before these rules could hold them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpke_internal.h"
#include "rawconn.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/committee.h"
#include "tender/committee_make.h"
#include "testsrv.h"

#define T(name) "tender.tenders.v1.Tenders/" #name
#define T_DESC (&tender_tenders_v1_Tender_desc)

static testsrv ts;
static char msg[512];
static rawconn off, off2;
static uint32_t sid_off = 1, sid_off2 = 1;

/* Points of low order (RFC 7748 section 6.1; with the non-canonical
 * encodings p - 1, p, p + 1 and one with the top bit set). */
static const uint8_t low_order[][32] = {
    {0},
    {1},
    {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
     0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
    {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
     0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
};

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
}

static void open_as(rawconn *c, const char *who)
{
    char ca[700], crt[700], key[700], f[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    snprintf(f, sizeof f, "%s.crt", who);
    testsrv_path(&ts, f, crt, sizeof crt);
    snprintf(f, sizeof f, "%s.key", who);
    testsrv_path(&ts, f, key, sizeof key);
    assert_int_equal(rawconn_open(c, ts.port, ca, crt, key), 0);
    rawconn_settings(c);
}

static int call_as(rawconn *c, uint32_t *sid, const char *m, const tnd_msg_desc *qd,
                   const void *q, const tnd_msg_desc *rd, void *r)
{
    msg[0] = '\0';
    int st = rawconn_call(c, *sid, m, qd, q, rd, r, msg, sizeof msg, NULL, 0);
    *sid += 2;
    return st;
}

#define CALL(m, qd, q, rd, r) call_as(&off, &sid_off, m, qd, q, rd, r)

static void put(tnd_bytes *b, const uint8_t *src, size_t len)
{
    free(b->data);
    b->data = malloc(len);
    memcpy(b->data, src, len);
    b->len = len;
}

/* A proper 2-of-3 committee, as tenderctl makes it (tnd_committee_make): a
 * fresh opening key split among three fresh member keys, each share sealed
 * and hashed. */
static void make_committee(tender_tenders_v1_Committee *cm)
{
    static const char *const names[] = {"officer", "admin", "auditor"};
    tender_tenders_v1_Committee_init(cm);
    cm->threshold = 2;
    cm->n_members = 3;
    cm->members = calloc(3, sizeof *cm->members);
    assert_non_null(cm->members);
    for (int i = 0; i < 3; i++) {
        uint8_t msk[32], mpk[32];
        assert_int_equal(tnd_x25519_keygen(msk, mpk), 0);
        OPENSSL_cleanse(msk, sizeof msk);
        cm->members[i].name = strdup(names[i]);
        put(&cm->members[i].public_key, mpk, 32);
    }
    if (tnd_committee_make(cm, false, msg, sizeof msg) != 0)
        fail_msg("committee: %s", msg);
}

/* The inputs the rules refuse, and a part of each message. */
enum { DUP_NAME, DUP_KEY, ZERO_KEY, LOW_ORDER_KEY, ZERO_OPENING_KEY, OPENING_IS_MEMBER,
       SHORT_SHARE, LONG_SHARE, K_ABOVE_N, K_ZERO, DOCS_SHORT_SHARE, ZERO_DOCS_KEY,
       DOCS_IS_MEMBER, DOCS_IS_OPENING, N_BAD };
static const char *const bad_name[N_BAD] = {
    "duplicate name", "duplicate key", "zero member key", "low-order member key",
    "zero opening key", "opening key of a member", "short sealed share", "long sealed share",
    "k > n", "k < 1", "documents key with opening-only shares", "zero documents key",
    "documents key of a member", "documents key is the opening key"};
static const char *const bad_msg[N_BAD] = {
    "members[1].name: \"officer\" is also member 0",
    "members[2].public_key: the same key as member 0",
    "members[1].public_key: a key of low order",
    "members[2].public_key: a key of low order",
    "opening_public_key: a key of low order",
    "opening_public_key: the key of member 1",
    "members[0].encrypted_share: 80 bytes; a sealed share is 81 bytes",
    "members[2].encrypted_share: 82 bytes; a sealed share is 81 bytes",
    "threshold: need 1 <= k <= n (k = 4, n = 3)",
    "threshold: need 1 <= k <= n (k = 0, n = 3)",
    "members[0].encrypted_share: 81 bytes; a sealed share is 113 bytes",
    "documents_public_key: a key of low order",
    "documents_public_key: the key of member 2",
    "documents_public_key: the opening key"};

/* A documents key (of a fresh pair) and sealed shares of its length. */
static void with_documents_key(tender_tenders_v1_Committee *cm, bool shares)
{
    uint8_t sk[32], pk[32], b[TND_SEALED_SHARE_DOCS_LEN] = {0};
    assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
    put(&cm->documents_public_key, pk, 32);
    for (size_t i = 0; shares && i < cm->n_members; i++)
        put(&cm->members[i].encrypted_share, b, sizeof b);
}

static void make_bad(tender_tenders_v1_Committee *cm, int bad)
{
    uint8_t b[82] = {0};
    switch (bad) {
    case DUP_NAME:
        free(cm->members[1].name);
        cm->members[1].name = strdup(cm->members[0].name);
        break;
    case DUP_KEY:
        put(&cm->members[2].public_key, cm->members[0].public_key.data, 32);
        break;
    case ZERO_KEY:
        put(&cm->members[1].public_key, b, 32);
        break;
    case LOW_ORDER_KEY:
        put(&cm->members[2].public_key, low_order[2], 32);
        break;
    case ZERO_OPENING_KEY:
        put(&cm->opening_public_key, b, 32);
        break;
    case OPENING_IS_MEMBER:
        put(&cm->opening_public_key, cm->members[1].public_key.data, 32);
        break;
    case SHORT_SHARE:
        cm->members[0].encrypted_share.len = 80;
        break;
    case LONG_SHARE:
        put(&cm->members[2].encrypted_share, b, 82);
        break;
    case K_ABOVE_N:
        cm->threshold = 4;
        break;
    case K_ZERO:
        cm->threshold = 0;
        break;
    case DOCS_SHORT_SHARE:
        with_documents_key(cm, false);
        break;
    case ZERO_DOCS_KEY:
        with_documents_key(cm, true);
        put(&cm->documents_public_key, b, 32);
        break;
    case DOCS_IS_MEMBER:
        with_documents_key(cm, true);
        put(&cm->documents_public_key, cm->members[2].public_key.data, 32);
        break;
    case DOCS_IS_OPENING:
        with_documents_key(cm, true);
        put(&cm->documents_public_key, cm->opening_public_key.data, 32);
        break;
    }
}

static void fill(tender_tenders_v1_TenderFields *f, const char *title)
{
    f->title = strdup(title);
    tnd_ts_set(&f->submission_deadline, tnd_wall_ms() + 3600000);
    tnd_ts_set(&f->opening_time, tnd_wall_ms() + 3700000);
    f->committee = calloc(1, sizeof *f->committee);
    make_committee(f->committee);
}

/* Create a draft with a fresh committee (bad < 0) or a refused one. */
static int create(int bad, char *id, size_t len, tender_tenders_v1_Committee *copy)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill(q.fields, "committee rules");
    if (bad >= 0)
        make_bad(q.fields->committee, bad);
    if (copy)
        assert_int_equal(tnd_msg_copy(&tender_tenders_v1_Committee_desc, q.fields->committee,
                                       copy),
                         0);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    int st = CALL(T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, T_DESC, &t);
    if (st == 0 && id)
        snprintf(id, len, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    return st;
}

static int edit(const char *id, const tender_tenders_v1_Committee *cm, int bad)
{
    tender_tenders_v1_EditTenderRequest q;
    tender_tenders_v1_EditTenderRequest_init(&q);
    q.id = strdup(id);
    q.fields = calloc(1, sizeof *q.fields);
    fill(q.fields, "committee rules, edited");
    if (cm) {
        tender_tenders_v1_Committee_free(q.fields->committee);
        assert_int_equal(
            tnd_msg_copy(&tender_tenders_v1_Committee_desc, cm, q.fields->committee), 0);
    }
    if (bad >= 0)
        make_bad(q.fields->committee, bad);
    int st = CALL(T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &q, NULL, NULL);
    tender_tenders_v1_EditTenderRequest_free(&q);
    return st;
}

static int publish(const char *id)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    return CALL(T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL);
}

/* Stop the server, change the committee of drafts ids[0..n) in the database
 * with change(cm, i), start it again and reconnect. */
static void alter_drafts(char ids[][64], int n,
                         void (*change)(tender_tenders_v1_Committee *, int, void *), void *arg)
{
    rawconn_close(&off);
    rawconn_close(&off2);
    testsrv_halt(&ts);
    char db[300];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "tenders", 0, &dbi), 0);
    for (int i = 0; i < n; i++) {
        MDB_val k = {.mv_size = strlen(ids[i]), .mv_data = ids[i]}, v;
        tender_tenders_v1_Tender t;
        tender_tenders_v1_Tender_init(&t);
        assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
        assert_int_equal(tnd_msg_decode(T_DESC, v.mv_data, v.mv_size, &t, NULL), 0);
        change(t.fields->committee, i, arg);
        uint8_t *enc;
        size_t len;
        assert_int_equal(tnd_msg_encode(T_DESC, &t, &enc, &len, NULL), 0);
        v = (MDB_val){.mv_size = len, .mv_data = enc};
        assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
        free(enc);
        tender_tenders_v1_Tender_free(&t);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    testsrv_restart(&ts);
    open_as(&off, "officer");
    open_as(&off2, "officer2");
    sid_off = sid_off2 = 1;
}

/* ---- the rules in libtender ---------------------------------------------- */

static void test_low_order_keys(void **state)
{
    (void)state;
    /* Each is refused, and X25519 itself confirms: it gives all zero. */
    uint8_t sk[32], pk[32], dh[32];
    for (size_t i = 0; i < sizeof low_order / sizeof *low_order; i++) {
        assert_int_equal(tnd_x25519_check_public(low_order[i]), TND_ECRYPTO);
        assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
        assert_int_equal(tnd__x25519_dh(sk, low_order[i], dh), TND_ECRYPTO);
        /* A refusal leaves no error behind to fail the thread's next TLS call. */
        assert_int_equal(ERR_peek_error(), 0);
    }
    /* Keys of full order pass, and small changes to a low-order key too. */
    for (int i = 0; i < 64; i++) {
        assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
        assert_int_equal(tnd_x25519_check_public(pk), 0);
        assert_int_equal(tnd__x25519_dh(sk, pk, dh), 0);
    }
    uint8_t near[32] = {2};
    assert_int_equal(tnd_x25519_check_public(near), 0);
    memcpy(near, low_order[2], 32);
    near[0] ^= 1;
    assert_int_equal(tnd_x25519_check_public(near), 0);
}

static void test_rules_in_libtender(void **state)
{
    (void)state;
    char why[400];
    tender_tenders_v1_Committee cm;
    make_committee(&cm);
    assert_int_equal(tnd_committee_check(&cm, true, why, sizeof why), 0);
    for (int bad = 0; bad < N_BAD; bad++) {
        tender_tenders_v1_Committee c;
        tender_tenders_v1_Committee_init(&c);
        assert_int_equal(tnd_msg_copy(&tender_tenders_v1_Committee_desc, &cm, &c), 0);
        make_bad(&c, bad);
        if (tnd_committee_check(&c, false, why, sizeof why) != TND_EINVAL ||
            !strstr(why, bad_msg[bad]))
            fail_msg("%s: got \"%s\"", bad_name[bad], why);
        tender_tenders_v1_Committee_free(&c);
    }
    /* A draft may lack the opening key and the shares; publishing may not. */
    cm.members[1].share_hash.len = 0;
    assert_int_equal(tnd_committee_check(&cm, false, why, sizeof why), 0);
    assert_int_equal(tnd_committee_check(&cm, true, why, sizeof why), TND_EINVAL);
    assert_non_null(strstr(why, "members[1]: a sealed share and its share_hash are required"));

    /* Shares are counted by person: a repeated name or key is one person. */
    size_t all[] = {0, 1, 2}, twice[] = {0, 0, 2};
    assert_int_equal(tnd_committee_people(&cm, all, 3), 3);
    assert_int_equal(tnd_committee_people(&cm, twice, 3), 2);
    free(cm.members[1].name);
    cm.members[1].name = strdup("officer");
    assert_true(tnd_committee_same_person(&cm, 0, 1));
    assert_int_equal(tnd_committee_people(&cm, all, 3), 2);
    put(&cm.members[2].public_key, cm.members[0].public_key.data, 32);
    assert_int_equal(tnd_committee_people(&cm, all, 3), 1);
    assert_int_equal(tnd_committee_member(&cm, &cm.members[0].public_key), 0);
    tender_tenders_v1_Committee_free(&cm);
}

/* ---- create, edit and publish -------------------------------------------- */

static void test_create_and_edit_refuse(void **state)
{
    (void)state;
    for (int bad = 0; bad < N_BAD; bad++) {
        int st = create(bad, NULL, 0, NULL);
        if (st != TND_STATUS_INVALID_ARGUMENT || !strstr(msg, bad_msg[bad]))
            fail_msg("create with %s: %d \"%s\"", bad_name[bad], st, msg);
    }
    char id[64];
    assert_int_equal(create(-1, id, sizeof id, NULL), 0);
    for (int bad = 0; bad < N_BAD; bad++) {
        int st = edit(id, NULL, bad);
        if (st != TND_STATUS_INVALID_ARGUMENT || !strstr(msg, bad_msg[bad]))
            fail_msg("edit with %s: %d \"%s\"", bad_name[bad], st, msg);
    }
    assert_int_equal(edit(id, NULL, -1), 0);
    assert_int_equal(publish(id), 0);
}

static void break_one(tender_tenders_v1_Committee *cm, int i, void *arg)
{
    (void)arg;
    make_bad(cm, i);
}

static void test_publish_refuses(void **state)
{
    (void)state;
    char ids[N_BAD][64];
    for (int bad = 0; bad < N_BAD; bad++)
        assert_int_equal(create(-1, ids[bad], sizeof ids[bad], NULL), 0);
    alter_drafts(ids, N_BAD, break_one, NULL);
    for (int bad = 0; bad < N_BAD; bad++) {
        int st = publish(ids[bad]);
        if (st != TND_STATUS_FAILED_PRECONDITION || !strstr(msg, bad_msg[bad]) ||
            !strstr(msg, "cannot publish"))
            fail_msg("publish with %s: %d \"%s\"", bad_name[bad], st, msg);
    }
}

/* ---- one tender per opening key ------------------------------------------ */

static void take_key(tender_tenders_v1_Committee *cm, int i, void *arg)
{
    (void)i;
    put(&cm->opening_public_key, arg, 32);
}

static void test_opening_key_serves_one_tender(void **state)
{
    (void)state;
    char a[64], c[64], d[64], want[300];
    tender_tenders_v1_Committee ca, cc;
    assert_int_equal(create(-1, a, sizeof a, &ca), 0);
    uint8_t ka[32];
    memcpy(ka, ca.opening_public_key.data, 32);

    /* Create: another tender with A's key is refused, naming A. */
    tender_tenders_v1_Committee cb;
    make_committee(&cb);
    put(&cb.opening_public_key, ka, 32);
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill(q.fields, "same key");
    tender_tenders_v1_Committee_free(q.fields->committee);
    assert_int_equal(tnd_msg_copy(&tender_tenders_v1_Committee_desc, &cb, q.fields->committee),
                     0);
    assert_int_equal(CALL(T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
                     TND_STATUS_ALREADY_EXISTS);
    snprintf(want, sizeof want, "opening_public_key: the key already serves tender %s", a);
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, "an opening key serves one tender only"));
    /* Another organisation does not learn which draft holds it. */
    assert_int_equal(call_as(&off2, &sid_off2, T(Create),
                             &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL),
                     TND_STATUS_ALREADY_EXISTS);
    assert_non_null(strstr(msg, "the key already serves another tender"));
    assert_null(strstr(msg, a));
    tender_tenders_v1_CreateTenderRequest_free(&q);

    /* Edit: C may not take A's key; once A moves to a new key, it may. */
    assert_int_equal(create(-1, c, sizeof c, &cc), 0);
    assert_int_equal(edit(c, &cb, -1), TND_STATUS_ALREADY_EXISTS);
    assert_non_null(strstr(msg, want));
    assert_int_equal(edit(a, NULL, -1), 0); /* a fresh committee and key */
    assert_int_equal(edit(c, &cb, -1), 0);
    /* Editing with the key it holds is fine. */
    assert_int_equal(edit(c, &cb, -1), 0);
    assert_int_equal(publish(c), 0);

    /* Publish: a draft that holds C's published key (altered in the
     * database, as an old database could hold it) is refused. */
    assert_int_equal(create(-1, d, sizeof d, NULL), 0);
    char ids[1][64];
    snprintf(ids[0], sizeof ids[0], "%s", d);
    alter_drafts(ids, 1, take_key, ka);
    assert_int_equal(publish(d), TND_STATUS_FAILED_PRECONDITION);
    snprintf(want, sizeof want,
             "cannot publish %s: fields.committee.opening_public_key: the key already serves "
             "tender %s",
             d, c);
    assert_non_null(strstr(msg, want));
    /* And a published key stays taken. */
    assert_int_equal(edit(d, &cb, -1), TND_STATUS_ALREADY_EXISTS);

    /* An amendment keeps the committee byte for byte: not even a name changes. */
    tender_tenders_v1_AmendTenderRequest am;
    tender_tenders_v1_AmendTenderRequest_init(&am);
    am.id = strdup(c);
    am.note = strdup("renamed member");
    am.fields = calloc(1, sizeof *am.fields);
    fill(am.fields, "committee rules");
    tender_tenders_v1_Committee_free(am.fields->committee);
    assert_int_equal(tnd_msg_copy(&tender_tenders_v1_Committee_desc, &cb, am.fields->committee),
                     0);
    assert_int_equal(CALL(T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &am, NULL, NULL),
                     0);
    free(am.fields->committee->members[1].name);
    am.fields->committee->members[1].name = strdup("supplier");
    assert_int_equal(CALL(T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &am, NULL, NULL),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "cannot change after publication"));
    free(am.fields->committee->members[1].name);
    am.fields->committee->members[1].name = strdup("officer");
    assert_int_equal(CALL(T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &am, NULL, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(msg, bad_msg[DUP_NAME]));
    tender_tenders_v1_AmendTenderRequest_free(&am);
    tender_tenders_v1_Committee_free(&ca);
    tender_tenders_v1_Committee_free(&cb);
    tender_tenders_v1_Committee_free(&cc);
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, NULL);
    open_as(&off, "officer");
    open_as(&off2, "officer2");
    sid_off = sid_off2 = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rawconn_close(&off);
    rawconn_close(&off2);
    testsrv_stop(&ts);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_order_keys),
        cmocka_unit_test(test_rules_in_libtender),
        cmocka_unit_test_setup_teardown(test_create_and_edit_refuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opening_key_serves_one_tender, setup, teardown),
    };
    return cmocka_run_group_tests_name("committee", tests, NULL, NULL);
}
