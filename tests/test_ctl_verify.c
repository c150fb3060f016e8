/* End-to-end tests of `tenderctl audit verify`: a whole tender life cycle
 * through tenderctl against the real tenderd (three sealed bids, one
 * replaced, opened by 2 of 3, awarded and completed) verifies at every
 * stage; then the database is altered behind the running server's back,
 * the way an insider with disk access would (a price in the opening
 * record, a bid's time of receipt, a deleted event, a rewritten leaf, the
 * award's winner), or while it is stopped (an answer or a document changed
 * or deleted; a deleted version, opening record or award; a deleted
 * deadline), and verify must name the check that fails, and pass again
 * once the bytes are put back. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include "ctlrun.h"
#include "tender/verify.h"
#include "tender_schema.h"

static char vkey[400], tender[64], saved[300];
static char bid[3][64]; /* supplier's first (replaced), supplier2's, supplier's second */
static const char *const server_args[] = {"--standstill", "2", NULL};

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_verify_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    path(saved, sizeof saved, "saved.checkpoint");
    return ctlrun_start_server(server_args);
}

/* Stop tenderd (drained by SIGTERM), so that the store can be changed with
 * no writer; server_start brings it back on the same database. */
static void server_stop(void)
{
    int status;
    assert_int_equal(kill(ctl_srv_pid, SIGTERM), 0);
    assert_int_equal(waitpid(ctl_srv_pid, &status, 0), ctl_srv_pid);
    ctl_srv_pid = 0;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void server_start(void)
{
    assert_int_equal(ctlrun_start_server(server_args), 0);
}

/* ---- the database, behind the server's back ------------------------------ */

/* Every LMDB call below runs with no assertion inside a transaction: a
 * failed assertion jumps out of the test, and a write transaction left
 * open would hold the lock that tenderd's writer needs. */
static int db_open(MDB_env **env, MDB_txn **txn, MDB_dbi *dbi, const char *table, bool write)
{
    char db[300];
    path(db, sizeof db, "db");
    int rc = mdb_env_create(env);
    if (rc == 0 && (rc = mdb_env_set_maxdbs(*env, 32)) == 0 &&
        (rc = mdb_env_open(*env, db, MDB_NOTLS, 0600)) == 0 &&
        (rc = mdb_txn_begin(*env, NULL, write ? 0 : MDB_RDONLY, txn)) == 0 &&
        (rc = mdb_dbi_open(*txn, table, 0, dbi)) != 0)
        mdb_txn_abort(*txn);
    if (rc != 0)
        mdb_env_close(*env);
    return rc;
}

/* Read a record's bytes (malloc'd into *out). */
static void db_read(const char *table, const void *key, size_t klen, uint8_t **out, size_t *len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(db_open(&env, &txn, &dbi, table, false), 0);
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    *out = rc == 0 ? malloc(v.mv_size) : NULL;
    if (*out) {
        memcpy(*out, v.mv_data, v.mv_size);
        *len = v.mv_size;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    assert_int_equal(rc, 0);
    assert_non_null(*out);
}

/* Write (value non-NULL) or delete a record, and commit. */
static void db_write(const char *table, const void *key, size_t klen, const void *value,
                     size_t len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(db_open(&env, &txn, &dbi, table, true), 0);
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v = {.mv_size = len,
                                                                .mv_data = (void *)value};
    int rc = value ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    mdb_env_close(env);
    assert_int_equal(rc, 0);
}

/* The original bytes of one record, to put back. */
typedef struct original {
    const char *table;
    uint8_t key[200];
    size_t key_len;
    uint8_t *value;
    size_t len;
} original;

static void keep(original *o, const char *table, const void *key, size_t klen)
{
    o->table = table;
    assert_true(klen <= sizeof o->key);
    memcpy(o->key, key, klen);
    o->key_len = klen;
    db_read(table, key, klen, &o->value, &o->len);
}

static void put_back(original *o)
{
    db_write(o->table, o->key, o->key_len, o->value, o->len);
    free(o->value);
    o->value = NULL;
}

/* Replace the record at key with msg re-encoded after edit() changed it. */
static void alter(const char *table, const void *key, size_t klen, const tnd_msg_desc *d,
                  void *msg, void (*edit)(void *msg), original *o)
{
    keep(o, table, key, klen);
    assert_int_equal(tnd_msg_decode(d, o->value, o->len, msg, NULL), 0);
    edit(msg);
    uint8_t *enc;
    size_t len;
    assert_int_equal(tnd_msg_encode(d, msg, &enc, &len, NULL), 0);
    db_write(table, key, klen, enc, len);
    free(enc);
}

/* The seq (8-byte key) of the first event of tender of kind about obj. */
static void find_event(int kind, const char *obj, uint8_t key[8])
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    assert_int_equal(db_open(&env, &txn, &dbi, "events", false), 0);
    bool found = false;
    if (mdb_cursor_open(txn, dbi, &cur) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !found;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            tender_events_v1_Event ev;
            tender_events_v1_Event_init(&ev);
            found = tender_events_v1_Event_decode(&ev, v.mv_data, v.mv_size, NULL) == 0 &&
                    (int)ev.kind == kind &&
                    /* bid events name no tender, only a blinded tag: found by the bid */
                    ((ev.tender_id && strcmp(ev.tender_id, tender) == 0) ||
                     (obj && !ev.tender_id && ev.tender_tag.len == 32)) &&
                    (!obj || (ev.object_id && strcmp(ev.object_id, obj) == 0));
            if (found && k.mv_size == 8)
                memcpy(key, k.mv_data, 8);
            tender_events_v1_Event_free(&ev);
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    assert_true(found);
}

static void verify_fails_for(const char *id, const char *check, const char *why)
{
    char line[64];
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, "--checkpoint", saved, NULL);
    EXPECT(4);
    snprintf(line, sizeof line, "FAIL  %-11s", check);
    HAS(R.out, line);
    HAS(R.out, why);
    HAS(R.out, "FAILED");
}

static void verify_fails(const char *check, const char *why)
{
    verify_fails_for(tender, check, why);
}

static void verify_passes_for(const char *id)
{
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, "--checkpoint", saved, NULL);
    EXPECT(0);
    HAS_NOT(R.out, "FAIL");
    HAS(R.out, "verified against the checkpoint");
}

static void verify_passes(void)
{
    verify_passes_for(tender);
}

/* A file of the test folder as text (static buffer). */
static const char *read_file_text(const char *name)
{
    static char text[65536];
    char p[300];
    path(p, sizeof p, name);
    if (read_file(p, text, sizeof text) < 0)
        text[0] = '\0';
    return text;
}

/* Wait (up to 15 s: a loaded machine, a sanitizer build) for tenderd's log
 * to say needle: its start-up writes run after it accepts connections. */
static void wait_log(const char *needle)
{
    for (int i = 0; i < 300 && !strstr(read_file_text("tenderd.log"), needle); i++)
        usleep(50000);
    HAS(read_file_text("tenderd.log"), needle);
}

/* ---- the life cycle -------------------------------------------------------- */

static void submit(const char *who, const char *price, const char *replaces, char *id, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    if (replaces)
        ctl(who, "--log-key", vkey, "bid", "replace", tender, replaces, "--price", price,
            "--currency", "KRW", "--bids-dir", bids, NULL);
    else
        ctl(who, "--log-key", vkey, "bid", "submit", tender, "--price", price, "--currency",
            "KRW", "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "B-", 2) == 0);
}

static void test_life_cycle_verifies(void **state)
{
    (void)state;
    char pub[3][64], committee[300], text[1024], dl[32], op[32], kf[400];
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    char spec[300];
    path(spec, sizeof spec, "spec.txt");
    write_file(spec, "span 40 m, two lanes\n", 21);
    time_t t0 = time(NULL), deadline = t0 + 8, opening = t0 + 9;
    ctl("officer", "tender", "create", "--title", "Audited bridge repair", "--budget", "900000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", "--doc", spec,
        NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);

    /* A draft is not public: nothing to verify. */
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, NULL);
    EXPECT(10 + 5);

    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", "--save", saved, NULL);
    EXPECT(0);
    ctl("supplier", "question", "ask", tender, "--text", "Is the old deck removed?", NULL);
    EXPECT(0);
    ctl("officer", "question", "answer", tender, "Q-1", "--text", "Yes, by the contractor.", NULL);
    EXPECT(0);
    submit("supplier", "120000", NULL, bid[0], sizeof bid[0]);
    submit("supplier2", "150000", NULL, bid[1], sizeof bid[1]);
    submit("supplier", "110000", bid[0], bid[2], sizeof bid[2]);

    /* Before the opening: the log checks pass, the rest waits. */
    verify_passes();
    HAS(R.out, "ok    checkpoint");
    HAS(R.out, "ok    consistency");
    HAS(R.out, "ok    inclusion");
    HAS(R.out, "ok    published");
    HAS(R.out, "ok    documents    1 document(s)");
    HAS(R.out, "ok    questions    1 answered question(s)");
    HAS(R.out, "ok    deadline");
    HAS(R.out, "skip  opening");
    HAS(R.out, "skip  decryption");
    HAS(R.out, "skip  award");

    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", tender, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    verify_passes();
    HAS(R.out, "3 bid event(s) linked by the published bid tag key");
    HAS(R.out, "ok    opening");
    HAS(R.out, "2 distinct committee shares (k = 2 of 3)");
    HAS(R.out, "ok    decryption");
    HAS(R.out, "3 sealed bid(s) match them");
    HAS(R.out, "re-decrypting the 2 bid(s) in force");
    HAS(R.out, "ok    signatures");
    HAS(R.out, "skip  award");

    ctl("officer", "award", tender, "--winner", bid[2], "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    verify_passes();
    HAS(R.out, "ok    award");
    HAS(R.out, "officer's award signature");
    sleep_until(time(NULL) + 3); /* the standstill (2 s) ends: complete */
    ctl(NULL, "--json", "--log-key", vkey, "audit", "verify", tender, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"failed\":0");
    HAS(R.out, "status COMPLETE follows from them");
}

/* ---- tampering ------------------------------------------------------------- */

static void raise_first_price(void *msg)
{
    tender_bids_v1_OpeningRecord *rec = msg;
    assert_true(rec->n_bids > 0 && rec->bids[0].price);
    rec->bids[0].price->minor_units -= 5000; /* a cheaper bid than was sealed */
}

static void test_altered_price_in_opening_record(void **state)
{
    (void)state;
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    original o;
    alter("openings", tender, strlen(tender), &tender_bids_v1_OpeningRecord_desc, &rec,
          raise_first_price, &o);
    tender_bids_v1_OpeningRecord_free(&rec);
    verify_fails("opening", "the opening record differs from what event");
    verify_fails("decryption", "the price differs");
    put_back(&o);
    verify_passes();
}

static void earlier_receipt(void *msg)
{
    tender_bids_v1_SealedBid *b = msg;
    assert_non_null(b->received);
    b->received->seconds -= 1;
}

static void test_altered_bid_time(void **state)
{
    (void)state;
    uint8_t key[140];
    size_t tl = strlen(tender), bl = strlen(bid[1]);
    memcpy(key, tender, tl);
    key[tl] = 0;
    memcpy(key + tl + 1, bid[1], bl);
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    original o;
    alter("bids", key, tl + 1 + bl, &tender_bids_v1_SealedBid_desc, &b, earlier_receipt, &o);
    tender_bids_v1_SealedBid_free(&b);
    verify_fails("deadline", bid[1]);
    verify_fails("decryption", "the time of receipt differs");
    put_back(&o);
    verify_passes();
}

static void test_deleted_event(void **state)
{
    (void)state;
    uint8_t key[8];
    find_event(tender_events_v1_EventKind_BID_RECEIVED, bid[1], key);
    original o;
    keep(&o, "events", key, 8);
    db_write("events", key, 8, NULL, 0);
    verify_fails("inclusion", "is missing from the store");
    put_back(&o);
    verify_passes();
}

static void flip_tag(void *msg)
{
    tender_events_v1_Event *ev = msg;
    assert_int_equal(ev->tender_tag.len, 32);
    ev->tender_tag.data[0] ^= 1; /* "this bid was for another tender" */
}

/* A bid event whose tag the published key does not give is not the
 * tender's: its sealed bid then has no event. */
static void test_unlinked_tag(void **state)
{
    (void)state;
    uint8_t key[8];
    find_event(tender_events_v1_EventKind_BID_RECEIVED, bid[1], key);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    original o;
    alter("events", key, 8, &tender_events_v1_Event_desc, &ev, flip_tag, &o);
    tender_events_v1_Event_free(&ev);
    verify_fails("deadline", "has no bid_received event in the log");
    put_back(&o);
    verify_passes();
}

/* The server's tender filter links bid events with the key it keeps; a key
 * changed there hides them from the filter, not from the auditor, who
 * links them with the key the log published. */
static void test_filter_hides_bids(void **state)
{
    (void)state;
    original o;
    keep(&o, "bid_tag_keys", tender, strlen(tender));
    uint8_t other[32];
    memcpy(other, o.value, 32);
    other[31] ^= 0x80;
    db_write("bid_tag_keys", tender, strlen(tender), other, 32);
    verify_fails("inclusion", "the server's tender filter left it out");
    put_back(&o);
    verify_passes();
}

static void backdate_event(void *msg)
{
    tender_events_v1_Event *ev = msg;
    assert_non_null(ev->time);
    ev->time->seconds -= 3600; /* "it arrived an hour before it did" */
}

static void test_rewritten_leaf(void **state)
{
    (void)state;
    uint8_t key[8];
    find_event(tender_events_v1_EventKind_BID_RECEIVED, bid[2], key);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    original o;
    alter("events", key, 8, &tender_events_v1_Event_desc, &ev, backdate_event, &o);
    tender_events_v1_Event_free(&ev);
    verify_fails("inclusion", "is not in the checkpoint of size");
    put_back(&o);
    verify_passes();
}

static void swap_winner(void *msg)
{
    tender_awards_v1_Award *a = msg;
    assert_non_null(a->decision);
    free(a->decision->winner);
    a->decision->winner = strdup(bid[1]); /* the dearer bid */
}

static void test_altered_award(void **state)
{
    (void)state;
    uint8_t key[80];
    size_t tl = strlen(tender);
    memcpy(key, tender, tl);
    key[tl] = 0;
    key[tl + 1] = key[tl + 2] = key[tl + 3] = 0;
    key[tl + 4] = 1; /* award number 1 */
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    original o;
    alter("awards", key, tl + 5, &tender_awards_v1_Award_desc, &a, swap_winner, &o);
    tender_awards_v1_Award_free(&a);
    verify_fails("award", "differs from what event");
    verify_fails("signatures", "is not signed by the officer key");
    put_back(&o);
    verify_passes();
}


/* ---- records changed or deleted while tenderd is stopped ------------------- */

/* Stop tenderd, change the store with change(), start it again. */
static void offline(void (*change)(void *), void *arg)
{
    server_stop();
    change(arg);
    server_start();
}

static void put_back_offline(void *o)
{
    put_back(o);
}

static void delete_offline(void *o)
{
    original *r = o;
    db_write(r->table, r->key, r->key_len, NULL, 0);
}

/* Delete a record while stopped, check verify's FAIL line and exit code,
 * put it back, and check verify passes again. */
static void deleted_fails(const char *table, const void *key, size_t klen, const char *check,
                          const char *why)
{
    original o;
    keep(&o, table, key, klen);
    offline(delete_offline, &o);
    verify_fails(check, why);
    offline(put_back_offline, &o);
    verify_passes();
}

static size_t tender_key(uint8_t *key, uint32_t n)
{
    size_t tl = strlen(tender);
    memcpy(key, tender, tl);
    key[tl] = 0;
    for (int i = 0; i < 4; i++)
        key[tl + 1 + i] = (uint8_t)(n >> (24 - 8 * i));
    return tl + 5;
}

static void other_answer(void *msg)
{
    tender_tenders_v1_Question *q = msg;
    free(q->answer);
    q->answer = strdup("No, the deck stays.");
}

typedef struct altered {
    const char *table;
    const uint8_t *key;
    size_t klen;
    original o;
} altered;

static void alter_answer_offline(void *arg)
{
    altered *a = arg;
    tender_tenders_v1_Question q;
    tender_tenders_v1_Question_init(&q);
    alter(a->table, a->key, a->klen, &tender_tenders_v1_Question_desc, &q, other_answer, &a->o);
    tender_tenders_v1_Question_free(&q);
}

static void test_changed_answer(void **state)
{
    (void)state;
    uint8_t key[80];
    altered a = {.table = "questions", .key = key, .klen = tender_key(key, 1)};
    offline(alter_answer_offline, &a);
    verify_fails("questions", "question Q-1 with its answer as served differs from what event");
    offline(put_back_offline, &a.o);
    verify_passes();
}

static void test_deleted_answer(void **state)
{
    (void)state;
    uint8_t key[80];
    deleted_fails("questions", key, tender_key(key, 1), "questions",
                  "question Q-1 was answered (event");
}

static void replace_document_offline(void *arg)
{
    original *o = arg;
    char doc[80];
    snprintf(doc, sizeof doc, "%s-D1", tender);
    keep(o, "documents", doc, strlen(doc));
    db_write("documents", doc, strlen(doc), "span 20 m, one lane\n", 20);
}

static void test_changed_document(void **state)
{
    (void)state;
    original o;
    offline(replace_document_offline, &o);
    verify_fails("documents", "is not the one logged");
    offline(put_back_offline, &o);
    verify_passes();
}

static void test_deleted_document(void **state)
{
    (void)state;
    char doc[80];
    snprintf(doc, sizeof doc, "%s-D1", tender);
    deleted_fails("documents", doc, strlen(doc), "documents", "cannot be downloaded");
}

static void test_deleted_version(void **state)
{
    (void)state;
    uint8_t key[80];
    deleted_fails("tender_versions", key, tender_key(key, 1), "published",
                  "version 1 is not served");
}

static void test_deleted_opening(void **state)
{
    (void)state;
    deleted_fails("openings", tender, strlen(tender), "opening",
                  "the opening record of event");
}

static void test_deleted_award(void **state)
{
    (void)state;
    uint8_t key[80];
    deleted_fails("awards", key, tender_key(key, 1), "award", "is not served");
}

/* The schedule entry of tender id due at due (s). */
static size_t schedule_key(uint8_t *key, time_t due, const char *id)
{
    uint64_t ms = (uint64_t)due * 1000;
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(ms >> (56 - 8 * i));
    memcpy(key + 8, id, strlen(id));
    return 8 + strlen(id);
}

static void publish_due(const char *member, time_t due, char *id, size_t len)
{
    char dl[32], op[32], committee[300], pub[64], text[200];
    ctl_keys_gen(member, pub, sizeof pub);
    snprintf(text, sizeof text, "%s.txt", member);
    path(committee, sizeof committee, text);
    snprintf(text, sizeof text, "%s %s\n", member, pub);
    write_file(committee, text, strlen(text));
    ctl("officer", "tender", "create", "--title", "Deadline kept", "--budget", "1000", "--currency",
        "KRW", "--deadline", at(dl, sizeof dl, due), "--opening", at(op, sizeof op, due + 60),
        "--committee", committee, NULL);
    EXPECT(0);
    first_line(id, len);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
}

/* A deleted schedule entry: behind the running server's back, the tender
 * stays active past its deadline and verify says so; a restart restores
 * the entry from the tender and closes it. Deleted while tenderd is
 * stopped, the restart restores it before the deadline. */
static void test_deleted_deadline(void **state)
{
    (void)state;
    char open_id[64], stopped_id[64];
    time_t due = time(NULL) + 4;
    publish_due("kang", due, open_id, sizeof open_id);
    publish_due("yoon", due, stopped_id, sizeof stopped_id);
    uint8_t key[80];
    original stopped;
    keep(&stopped, "schedule", key, schedule_key(key, due, stopped_id));
    offline(delete_offline, &stopped);
    free(stopped.value);
    wait_log("restored from the tenders");
    /* Now behind the running server's back. */
    db_write("schedule", key, schedule_key(key, due, open_id), NULL, 0);
    sleep_until(due + TND_CLOSE_GRACE_MS / 1000 + 1);
    ctl(NULL, "tender", "show", stopped_id, NULL);
    EXPECT(0);
    HAS(R.out, "status:               closed");
    verify_passes_for(stopped_id);
    ctl(NULL, "tender", "show", open_id, NULL);
    HAS(R.out, "status:               active");
    verify_fails_for(open_id, "deadline", "but the tender is still active: it was never closed");
    server_stop();
    server_start();
    wait_log("restored from the tenders");
    for (int i = 0; i < 50; i++) {
        ctl(NULL, "tender", "show", open_id, NULL);
        if (strstr(R.out, "status:               closed"))
            break;
        usleep(100000);
    }
    HAS(R.out, "status:               closed");
    verify_passes_for(open_id);
}

/* The outage rule end to end: tenderd (outage-min 1 s) stopped across a
 * deadline postpones it at the restart; tender show says so, audit verify
 * checks the postponement against the rule, the OCDS export amends the
 * tender period. */
static void test_postponed_deadline(void **state)
{
    (void)state;
    static const char *const outage_args[] = {"--standstill", "2", "--outage-min", "1",
                                              "--outage-window", "2", "--outage-extension", "5",
                                              NULL};
    char id[64], dl[32], line[120];
    server_stop();
    assert_int_equal(ctlrun_start_server(outage_args), 0);
    time_t due = time(NULL) + 5; /* room to publish on a loaded machine */
    publish_due("han", due, id, sizeof id);
    usleep(500000); /* a heartbeat */
    server_stop();
    sleep_until(due + 1);
    assert_int_equal(ctlrun_start_server(outage_args), 0);
    wait_log("deadlines postponed after an outage");
    ctl(NULL, "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "status:               active");
    HAS(R.out, "version:              2");
    snprintf(line, sizeof line, "postponed:            from %s (the server was down",
             at(dl, sizeof dl, due));
    HAS(R.out, line);
    verify_passes_for(id);
    HAS(R.out, "postponed after an outage, by the rule");
    ctl(NULL, "export", "ocds", "--tender", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"tenderAmendment\"");
    HAS(R.out, "postponed to");
    server_stop();
    server_start();
}

static void test_verify_usage(void **state)
{
    (void)state;
    ctl(NULL, "audit", "verify", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "re-decrypting every logged ciphertext");
    ctl(NULL, "--log-key", vkey, "audit", "verify", NULL);
    EXPECT(2);
    ctl(NULL, "--log-key", vkey, "audit", "verify", "T-2026-999999", NULL);
    EXPECT(10 + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_cycle_verifies),
        cmocka_unit_test(test_altered_price_in_opening_record),
        cmocka_unit_test(test_altered_bid_time),
        cmocka_unit_test(test_deleted_event),
        cmocka_unit_test(test_rewritten_leaf),
        cmocka_unit_test(test_unlinked_tag),
        cmocka_unit_test(test_filter_hides_bids),
        cmocka_unit_test(test_altered_award),
        cmocka_unit_test(test_changed_answer),
        cmocka_unit_test(test_deleted_answer),
        cmocka_unit_test(test_changed_document),
        cmocka_unit_test(test_deleted_document),
        cmocka_unit_test(test_deleted_version),
        cmocka_unit_test(test_deleted_opening),
        cmocka_unit_test(test_deleted_award),
        cmocka_unit_test(test_deleted_deadline),
        cmocka_unit_test(test_postponed_deadline),
        cmocka_unit_test(test_verify_usage),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
