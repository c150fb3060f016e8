/* Unit tests of libtender's complaint rules (tender/complaint.h), as both
 * tenderd and auditors apply them: the subject notes of COMPLAINT_FILED,
 * the complainant tag, the public view and its hash, the reviewer's
 * signature, the transitions and the names tenderctl uses. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "tender/complaint.h"

#define CS TND_COMPLAINT_STATE
#define SUB TND_COMPLAINT_SUBJECT
#define OUT TND_REVIEW_OUTCOME

static void note_round_trip(int subject, const char *award, const char *lot, const char *want,
                            const char *want_id)
{
    tender_complaints_v1_Complaint c = {.subject = subject, .award_id = (char *)award,
                                        .lot_id = (char *)lot};
    char buf[160], id[81];
    assert_string_equal(tnd_complaint_subject_note(&c, buf, sizeof buf), want);
    int got = 0;
    assert_true(tnd_complaint_subject_note_parse(buf, &got, id, sizeof id));
    assert_int_equal(got, subject);
    assert_string_equal(id, want_id);
}

static void test_subject_notes(void **state)
{
    (void)state;
    note_round_trip(SUB(CONDITIONS), NULL, NULL, "conditions", "");
    note_round_trip(SUB(CONDITIONS), NULL, "LOT-2", "conditions of lot LOT-2", "LOT-2");
    note_round_trip(SUB(AWARD), "T-2026-000001-A1", "LOT-1", "award T-2026-000001-A1",
                    "T-2026-000001-A1");
    note_round_trip(SUB(CANCELLATION), NULL, NULL, "cancellation of the tender", "");
    note_round_trip(SUB(CANCELLATION), NULL, "LOT-2", "cancellation of lot LOT-2", "LOT-2");
    note_round_trip(SUB(CANCELLATION), "T-1-A2", "LOT-2", "cancellation of award T-1-A2",
                    "T-1-A2");

    /* No subject: no note. A buffer too small: no note either. */
    tender_complaints_v1_Complaint none = {0};
    char buf[160], small[8], id[81];
    assert_null(tnd_complaint_subject_note(&none, buf, sizeof buf));
    tender_complaints_v1_Complaint award = {.subject = SUB(AWARD), .award_id = "T-1-A1"};
    assert_null(tnd_complaint_subject_note(&award, small, sizeof small));

    /* Notes that are not one are refused. */
    int s;
    const char *bad[] = {"", "award", "award ", "award a b", "conditions of lot ",
                         "cancellation", "Conditions", "award T-1-A1 ", NULL};
    for (int i = 0; bad[i]; i++)
        assert_false(tnd_complaint_subject_note_parse(bad[i], &s, id, sizeof id));
    assert_false(tnd_complaint_subject_note_parse(NULL, &s, id, sizeof id));
    /* An id longer than the caller's buffer is refused, not cut. */
    assert_false(tnd_complaint_subject_note_parse("award T-2026-000001-A1", &s, id, 8));
}

static void test_tag_commits_to_salt_and_key(void **state)
{
    (void)state;
    uint8_t salt[32], key[32], tag[32], want[32], other[32];
    memset(salt, 1, sizeof salt);
    memset(key, 2, sizeof key);
    uint8_t buf[20 + 64];
    memcpy(buf, "tender/1 complainant", 20);
    memcpy(buf + 20, salt, 32);
    memcpy(buf + 52, key, 32);
    SHA256(buf, sizeof buf, want);
    tnd_complaint_tag(salt, key, tag);
    assert_memory_equal(tag, want, 32);
    key[0] ^= 1;
    tnd_complaint_tag(salt, key, other);
    assert_memory_not_equal(tag, other, 32);
}

static void test_public_view_and_hash_leave_out_the_complainant(void **state)
{
    (void)state;
    tender_common_v1_Actor who = {.name = "Bob", .organisation = "Acme", .role = "supplier"};
    tender_complaints_v1_Complainant party = {.actor = &who};
    tender_complaints_v1_Complaint c = {.id = "T-1-C1", .tender_id = "T-1",
                                        .subject = SUB(CONDITIONS), .title = "Spec",
                                        .text = "The spec names one brand", .state = CS(SUBMITTED),
                                        .complainant = &party};
    tender_complaints_v1_Complaint pub;
    tnd_complaint_public(&c, &pub);
    assert_null(pub.complainant);
    assert_string_equal(pub.text, c.text);

    uint8_t h1[32], h2[32], h3[32];
    assert_int_equal(tnd_complaint_hash(&c, h1), 0);
    assert_int_equal(tnd_complaint_hash(&pub, h2), 0);
    assert_memory_equal(h1, h2, 32); /* the complainant is not hashed */
    c.text = "The spec names two brands";
    assert_int_equal(tnd_complaint_hash(&c, h3), 0);
    assert_memory_not_equal(h1, h3, 32); /* the text is */
}

static void test_review_signature(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    uint8_t pub[32];
    size_t pl = sizeof pub;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);

    tender_complaints_v1_ReviewDecision d = {.complaint_id = "T-1-C1", .tender_id = "T-1",
                                             .outcome = OUT(ACCEPT), .reasoning = "admissible"};
    uint8_t *msg = NULL;
    size_t ml = 0;
    assert_int_equal(tnd_review_signed_bytes(&d, &msg, &ml), 0);
    assert_true(ml > 16);
    assert_memory_equal(msg, TND_REVIEW_SIGNING_PREFIX, 16);
    uint8_t sig[64];
    size_t sl = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, msg, ml), 1);
    EVP_MD_CTX_free(md);
    free(msg);

    assert_int_equal(tnd_review_verify(&d, sig, 64, pub), 0);
    assert_int_equal(tnd_review_verify(&d, sig, 63, pub), TND_ECRYPTO);
    d.outcome = OUT(REFUSE); /* a changed decision no longer verifies */
    assert_int_equal(tnd_review_verify(&d, sig, 64, pub), TND_ECRYPTO);
    d.outcome = OUT(ACCEPT);
    d.suspend_deadline = true;
    assert_int_equal(tnd_review_verify(&d, sig, 64, pub), TND_ECRYPTO);
    d.suspend_deadline = false;
    pub[0] ^= 1;
    assert_int_not_equal(tnd_review_verify(&d, sig, 64, pub), 0);
    assert_int_equal(tnd_review_verify(NULL, sig, 64, pub), TND_EINVAL);
    EVP_PKEY_free(k);
}

static void test_transitions(void **state)
{
    (void)state;
    int states[] = {CS(SUBMITTED), CS(ACCEPTED), CS(REFUSED),
                    CS(SATISFIED), CS(REJECTED), CS(WITHDRAWN)};
    int outcomes[] = {OUT(ACCEPT), OUT(REFUSE), OUT(SATISFY), OUT(REJECT)};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 4; j++) {
            int s = states[i], o = outcomes[j], want = 0;
            if (s == CS(SUBMITTED) && o == OUT(ACCEPT))
                want = CS(ACCEPTED);
            else if (s == CS(SUBMITTED) && o == OUT(REFUSE))
                want = CS(REFUSED);
            else if (s == CS(ACCEPTED) && o == OUT(SATISFY))
                want = CS(SATISFIED);
            else if (s == CS(ACCEPTED) && o == OUT(REJECT))
                want = CS(REJECTED);
            assert_int_equal(tnd_review_next_state(s, o), want);
        }
    assert_false(tnd_complaint_final(CS(SUBMITTED)));
    assert_false(tnd_complaint_final(CS(ACCEPTED)));
    assert_true(tnd_complaint_final(CS(REFUSED)));
    assert_true(tnd_complaint_final(CS(SATISFIED)));
    assert_true(tnd_complaint_final(CS(REJECTED)));
    assert_true(tnd_complaint_final(CS(WITHDRAWN)));
    /* Pending and upheld complaints hold an award; the others let it go. */
    assert_true(tnd_complaint_holds_award(CS(SUBMITTED)));
    assert_true(tnd_complaint_holds_award(CS(ACCEPTED)));
    assert_true(tnd_complaint_holds_award(CS(SATISFIED)));
    assert_false(tnd_complaint_holds_award(CS(REFUSED)));
    assert_false(tnd_complaint_holds_award(CS(REJECTED)));
    assert_false(tnd_complaint_holds_award(CS(WITHDRAWN)));
    assert_int_equal(tnd_complaint_event_kind(CS(SUBMITTED)),
                     tender_events_v1_EventKind_COMPLAINT_FILED);
    assert_int_equal(tnd_complaint_event_kind(CS(WITHDRAWN)),
                     tender_events_v1_EventKind_COMPLAINT_WITHDRAWN);
    assert_int_equal(tnd_complaint_event_kind(0), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tnd_complaint_state_name(CS(SATISFIED)), "satisfied");
    assert_string_equal(tnd_complaint_state_name(99), "unspecified");
    assert_string_equal(tnd_complaint_subject_name(SUB(AWARD)), "award");
    assert_string_equal(tnd_review_outcome_name(OUT(REJECT)), "reject");
    assert_int_equal(tnd_complaint_subject_parse("cancellation"), SUB(CANCELLATION));
    assert_int_equal(tnd_complaint_subject_parse("CONDITIONS"), SUB(CONDITIONS));
    assert_int_equal(tnd_complaint_subject_parse("Award"), 0);
    assert_int_equal(tnd_complaint_subject_parse(NULL), 0);
    assert_int_equal(tnd_review_outcome_parse("satisfy"), OUT(SATISFY));
    assert_int_equal(tnd_review_outcome_parse("REFUSE"), OUT(REFUSE));
    assert_int_equal(tnd_review_outcome_parse("uphold"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_notes),
        cmocka_unit_test(test_tag_commits_to_salt_and_key),
        cmocka_unit_test(test_public_view_and_hash_leave_out_the_complainant),
        cmocka_unit_test(test_review_signature),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
