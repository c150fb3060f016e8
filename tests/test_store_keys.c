/* The key of every table (server/store/keys.c) against the bytes that
 * docs/STORE.md documents and that databases on disk already hold: a change
 * here is a change of the stored format. Also the big-endian helpers
 * (common/be.h) that the keys, the frame length and the log counters share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "be.h"
#include "store/store.h"

#define EXPECT_KEY(len, key, ...)                                                                  \
    do {                                                                                           \
        const uint8_t want_[] = {__VA_ARGS__};                                                     \
        assert_int_equal((len), sizeof want_);                                                     \
        assert_memory_equal((key), want_, sizeof want_);                                           \
    } while (0)

static void be_round_trips(void **state)
{
    (void)state;
    uint8_t b[8];
    tnd_be16_put(b, 0x0102);
    EXPECT_KEY(2, b, 0x01, 0x02);
    assert_int_equal(tnd_be16_get(b), 0x0102);
    tnd_be32_put(b, 0x01020304u);
    EXPECT_KEY(4, b, 0x01, 0x02, 0x03, 0x04);
    assert_int_equal(tnd_be32_get(b), 0x01020304u);
    tnd_be64_put(b, 0x0102030405060708ull);
    EXPECT_KEY(8, b, 1, 2, 3, 4, 5, 6, 7, 8);
    assert_true(tnd_be64_get(b) == 0x0102030405060708ull);
    tnd_be64_put(b, UINT64_MAX);
    assert_true(tnd_be64_get(b) == UINT64_MAX);
}

static void events_key(void **state)
{
    (void)state;
    uint8_t k[TND_KEY_EVENTS_LEN];
    size_t kl = tnd_key_events(k, 0x0102);
    EXPECT_KEY(kl, k, 0, 0, 0, 0, 0, 0, 0x01, 0x02);
    uint64_t seq = 0;
    assert_true(tnd_key_events_parse(k, kl, &seq));
    assert_true(seq == 0x0102);
    assert_false(tnd_key_events_parse(k, 7, &seq)); /* not an EVENTS key */
    assert_false(tnd_key_events_parse(k, 9, &seq));
}

static void meta_names(void **state)
{
    (void)state;
    assert_string_equal(TND_META_FORMAT, "format");
    assert_string_equal(TND_META_NEXT_EVENT_SEQ, "next_event_seq");
    assert_string_equal(TND_META_ALIVE_MS, "alive_ms");
    assert_string_equal(TND_META_TENDER_SEQ, "tender_seq");
}

static void idempotency_key(void **state)
{
    (void)state;
    uint8_t k[64];
    size_t kl = tnd_key_idempotency(k, sizeof k, "O", "n", "k1", 2);
    EXPECT_KEY(kl, k, 'O', 0, 'n', 0, 'k', '1');
    const uint8_t *ik;
    size_t il;
    assert_true(tnd_key_idempotency_parse(k, kl, &ik, &il));
    assert_int_equal(il, 2);
    assert_memory_equal(ik, "k1", 2);
    assert_false(tnd_key_idempotency_parse(k, 2, &ik, &il)); /* one terminator only */
    assert_int_equal(tnd_key_idempotency(k, 5, "O", "n", "k1", 2), 0); /* does not fit */
}

static void tender_versions_key(void **state)
{
    (void)state;
    uint8_t k[32];
    size_t kl = tnd_key_tender_versions(k, sizeof k, "T-1", 2);
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 0, 0, 0, 2);
    assert_int_equal(tnd_key_tender_versions(k, 7, "T-1", 2), 0);
}

static void schedule_key(void **state)
{
    (void)state;
    uint8_t k[32];
    size_t kl = tnd_key_schedule(k, sizeof k, 0x0102030405LL, "T-1");
    EXPECT_KEY(kl, k, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 'T', '-', '1');
    int64_t due;
    const uint8_t *id;
    size_t il;
    assert_true(tnd_key_schedule_parse(k, kl, &due, &id, &il));
    assert_true(due == 0x0102030405LL);
    assert_int_equal(il, 3);
    assert_memory_equal(id, "T-1", 3);
    assert_false(tnd_key_schedule_parse(k, 7, &due, &id, &il));
    assert_int_equal(tnd_key_schedule(k, 10, 1, "T-1"), 0);
}

static void questions_key(void **state)
{
    (void)state;
    uint8_t k[32];
    size_t kl = tnd_key_questions(k, sizeof k, "T-1", 0x01020304u);
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 1, 2, 3, 4);
    uint32_t seq;
    assert_true(tnd_key_questions_parse(k, kl, "T-1", &seq));
    assert_int_equal(seq, 0x01020304u);
    /* Another tender's, even one whose id starts the same, is not T-1's. */
    assert_false(tnd_key_questions_parse(k, kl, "T-", &seq));
    assert_false(tnd_key_questions_parse(k, kl, "T-10", &seq));
    assert_false(tnd_key_questions_parse(k, kl - 1, "T-1", &seq));
}

static void tender_events_key(void **state)
{
    (void)state;
    uint8_t k[TND_KEY_TENDER_EVENTS_MAX];
    size_t kl = tnd_key_tender_events(k, sizeof k, "T-1", 0x0102030405060708ull);
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 1, 2, 3, 4, 5, 6, 7, 8);
    uint64_t seq;
    assert_true(tnd_key_tender_events_parse(k, kl, "T-1", &seq));
    assert_true(seq == 0x0102030405060708ull);
    /* Another tender's, even one whose id starts the same, is not T-1's. */
    assert_false(tnd_key_tender_events_parse(k, kl, "T-", &seq));
    assert_false(tnd_key_tender_events_parse(k, kl, "T-10", &seq));
    assert_false(tnd_key_tender_events_parse(k, kl - 1, "T-1", &seq));
    /* The longest tender id fits; the buffer is the bound. */
    char longest[TND_KEY_TENDER_ID_MAX + 1];
    memset(longest, 'x', TND_KEY_TENDER_ID_MAX);
    longest[TND_KEY_TENDER_ID_MAX] = '\0';
    assert_int_equal(tnd_key_tender_events(k, sizeof k, longest, 1), TND_KEY_TENDER_EVENTS_MAX);
    assert_int_equal(tnd_key_tender_events(k, sizeof k - 1, longest, 1), 0);
}

static void log_keys(void **state)
{
    (void)state;
    uint8_t k[TND_KEY_LOG_LEAF_LEN], h[32];
    size_t kl = tnd_key_log_node(k, 3, 0x0102);
    EXPECT_KEY(kl, k, 'n', 3, 0, 0, 0, 0, 0, 0, 0x01, 0x02);
    kl = tnd_key_log_checkpoint(k, 0x0102);
    EXPECT_KEY(kl, k, 'c', 0, 0, 0, 0, 0, 0, 0x01, 0x02);
    for (int i = 0; i < 32; i++)
        h[i] = (uint8_t)i;
    kl = tnd_key_log_leaf(k, h);
    assert_int_equal(kl, 33);
    assert_int_equal(k[0], 'h');
    assert_memory_equal(k + 1, h, 32);
    assert_string_equal(TND_KEY_LOG_SIZE, "size");
    assert_string_equal(TND_KEY_LOG_LATEST, "cp");
}

/* The witnesses' keys in LOG: distinct first bytes or lengths from the
 * tree's, so no cosignature record can ever be read as a node or a size. */
static void log_witness_keys(void **state)
{
    (void)state;
    uint8_t k[TND_KEY_LOG_WITNESS_MAX];
    size_t kl = tnd_key_log_cosigs(k, 0x0102);
    EXPECT_KEY(kl, k, 'w', 0, 0, 0, 0, 0, 0, 0x01, 0x02);
    kl = tnd_key_log_witness(k, 0xa1b2c3d4, "w1");
    EXPECT_KEY(kl, k, 'v', 0xa1, 0xb2, 0xc3, 0xd4, 'w', '1');
    assert_string_equal(TND_KEY_LOG_WITNESSED, "ws");
    assert_int_equal(tnd_key_log_witness(k, 1, ""), 0);
    char longest[256];
    memset(longest, 'a', 255);
    longest[255] = '\0';
    assert_int_equal(tnd_key_log_witness(k, 1, longest), 260);
    char too_long[257];
    memset(too_long, 'a', 256);
    too_long[256] = '\0';
    assert_int_equal(tnd_key_log_witness(k, 1, too_long), 0);
}

static void bids_keys(void **state)
{
    (void)state;
    uint8_t k[80], tag[32];
    size_t kl = tnd_key_bids(k, sizeof k, "T-1", "B-a");
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 'B', '-', 'a');
    const uint8_t *bid;
    size_t bl;
    assert_true(tnd_key_bids_parse(k, kl, "T-1", &bid, &bl));
    assert_int_equal(bl, 3);
    assert_memory_equal(bid, "B-a", 3);
    assert_false(tnd_key_bids_parse(k, kl, "T-12", &bid, &bl));
    kl = tnd_key_bids(k, sizeof k, "T-1", ""); /* the tender's prefix */
    EXPECT_KEY(kl, k, 'T', '-', '1', 0);
    assert_false(tnd_key_bids_parse(k, kl, "T-1", &bid, &bl)); /* no bid id */

    memset(tag, 0xab, sizeof tag);
    kl = tnd_key_bid_owners(k, sizeof k, "T-1", tag);
    assert_int_equal(kl, 4 + 32);
    assert_memory_equal(k, "T-1", 4); /* with its 0x00 */
    assert_memory_equal(k + 4, tag, 32);

    kl = tnd_key_shares(k, sizeof k, "T-1", 7);
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 7);
    uint8_t m;
    assert_true(tnd_key_shares_parse(k, kl, "T-1", &m));
    assert_int_equal(m, 7);
    assert_false(tnd_key_shares_parse(k, kl, "T-", &m));
}

static void awards_key(void **state)
{
    (void)state;
    uint8_t k[32];
    size_t kl = tnd_key_awards(k, sizeof k, "T-1", 2);
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 0, 0, 0, 2);
    uint32_t seq;
    assert_true(tnd_key_awards_parse(k, kl, "T-1", &seq));
    assert_int_equal(seq, 2);
    assert_false(tnd_key_awards_parse(k, kl, "T-2", &seq));
}

static void complaints_keys(void **state)
{
    (void)state;
    uint8_t k[96];
    size_t kl = tnd_key_complaints(k, sizeof k, "T-1", 3);
    EXPECT_KEY(kl, k, 'T', '-', '1', 0, 0, 0, 0, 3);
    uint32_t seq;
    assert_true(tnd_key_complaints_parse(k, kl, "T-1", &seq));
    assert_int_equal(seq, 3);
    assert_false(tnd_key_complaints_parse(k, kl, "T-2", &seq));
    kl = tnd_key_complaint_documents(k, "T-1-C2-D1");
    EXPECT_KEY(kl, k, 'T', '-', '1', '-', 'C', '2', '-', 'D', '1');
    char longest[TND_KEY_COMPLAINT_DOCUMENT_ID_MAX + 2];
    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_int_equal(tnd_key_complaint_documents(k, longest), 0); /* one byte too long */
    longest[sizeof longest - 2] = '\0';
    assert_int_equal(tnd_key_complaint_documents(k, longest), TND_KEY_COMPLAINT_DOCUMENT_ID_MAX);
}

static void idem_expiry_key(void **state)
{
    (void)state;
    uint8_t k[32];
    size_t kl = tnd_key_idem_expiry(k, sizeof k, 0x0102, "O\0n\0k", 5);
    EXPECT_KEY(kl, k, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 'O', 0, 'n', 0, 'k');
    uint64_t due;
    const uint8_t *rec;
    size_t rl;
    assert_true(tnd_key_idem_expiry_parse(k, kl, &due, &rec, &rl));
    assert_true(due == 0x0102);
    assert_int_equal(rl, 5);
    assert_memory_equal(rec, "O\0n\0k", 5);
    assert_false(tnd_key_idem_expiry_parse(k, 7, &due, &rec, &rl));
    assert_int_equal(tnd_key_idem_expiry(k, 12, 1, "O\0n\0k", 5), 0);
}

/* The tables keyed by an id alone: the id's bytes, no terminator, and no
 * key for an empty id or one longer than its bound. */
static void id_keys(void **state)
{
    (void)state;
    uint8_t k[TND_KEY_DOCUMENT_ID_MAX + 8];
    size_t (*tender[])(uint8_t *, const char *) = {tnd_key_tenders, tnd_key_openings,
                                                   tnd_key_bid_tag_keys};
    char longest[TND_KEY_DOCUMENT_ID_MAX + 2];
    for (size_t i = 0; i < sizeof tender / sizeof *tender; i++) {
        EXPECT_KEY(tender[i](k, "T-2026-000123"), k, 'T', '-', '2', '0', '2', '6', '-', '0', '0',
                   '0', '1', '2', '3');
        assert_int_equal(tender[i](k, ""), 0);
        assert_int_equal(tender[i](k, NULL), 0);
        memset(longest, 'T', TND_KEY_TENDER_ID_MAX);
        longest[TND_KEY_TENDER_ID_MAX] = '\0';
        assert_int_equal(tender[i](k, longest), TND_KEY_TENDER_ID_MAX);
        assert_memory_equal(k, longest, TND_KEY_TENDER_ID_MAX);
        strcpy(longest + TND_KEY_TENDER_ID_MAX, "T");
        assert_int_equal(tender[i](k, longest), 0);
    }
    assert_int_equal(TND_KEY_TENDER_ID_MAX, 63); /* the bound tenderd has always answered */

    char id[TND_KEY_TENDER_ID_MAX + 1];
    assert_true(tnd_key_tenders_parse("T-2026-000123", 13, id));
    assert_string_equal(id, "T-2026-000123");
    assert_false(tnd_key_tenders_parse("T", 0, id));
    assert_false(tnd_key_tenders_parse("T\0x", 3, id)); /* an id holds no 0x00 */
    memset(longest, 'T', TND_KEY_TENDER_ID_MAX + 1);
    assert_true(tnd_key_tenders_parse(longest, TND_KEY_TENDER_ID_MAX, id));
    assert_false(tnd_key_tenders_parse(longest, TND_KEY_TENDER_ID_MAX + 1, id));

    EXPECT_KEY(tnd_key_documents(k, "T-1-D2"), k, 'T', '-', '1', '-', 'D', '2');
    memset(longest, 'D', TND_KEY_DOCUMENT_ID_MAX);
    longest[TND_KEY_DOCUMENT_ID_MAX] = '\0';
    assert_int_equal(tnd_key_documents(k, longest), TND_KEY_DOCUMENT_ID_MAX);
    strcpy(longest + TND_KEY_DOCUMENT_ID_MAX, "D");
    assert_int_equal(tnd_key_documents(k, longest), 0);
    assert_int_equal(tnd_key_documents(k, ""), 0);

    const char *bid = "B-0123456789abcdef0123456789abcdef";
    assert_int_equal(tnd_key_bid_ids(k, bid), 34);
    assert_memory_equal(k, bid, 34);
    assert_int_equal(tnd_key_bid_ids(k, "B-0123456789abcdef0123456789abcdef0"), 0);
    assert_int_equal(tnd_key_bid_ids(k, ""), 0);

    uint8_t pk[32];
    for (int i = 0; i < 32; i++)
        pk[i] = (uint8_t)(i * 7);
    assert_int_equal(tnd_key_opening_keys(k, pk), TND_KEY_OPENING_KEYS_LEN);
    assert_int_equal(TND_KEY_OPENING_KEYS_LEN, 32);
    assert_memory_equal(k, pk, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(be_round_trips),      cmocka_unit_test(events_key),
        cmocka_unit_test(meta_names),          cmocka_unit_test(idempotency_key),
        cmocka_unit_test(tender_versions_key), cmocka_unit_test(schedule_key),
        cmocka_unit_test(questions_key),       cmocka_unit_test(log_keys),
        cmocka_unit_test(tender_events_key),
        cmocka_unit_test(log_witness_keys),    cmocka_unit_test(bids_keys),
        cmocka_unit_test(awards_key),          cmocka_unit_test(complaints_keys),
        cmocka_unit_test(idem_expiry_key),     cmocka_unit_test(id_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
