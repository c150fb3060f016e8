/* The schema's `required` and `len` options (tnd_msg_check_rules, codec.h)
 * on tender.test.v1.Rules, and the limit constants schemac names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "test_schema.h"

/* The rules' verdict on m: NULL when it passes, else the message. */
static const char *verdict(const tender_test_v1_Rules *m)
{
    static tnd_codec_err err;
    memset(&err, 0, sizeof err);
    int rc = tender_test_v1_Rules_check(m, &err);
    if (rc == 0)
        return NULL;
    assert_int_equal(rc, TND_EINVAL);
    return err.text;
}

static void required_and_len(void **state)
{
    (void)state;
    tender_test_v1_RulesPart part = {.name = "p"}, must = {.name = "m"};
    tender_test_v1_Rules m = {.id = "x", .part = &part, .must = &must};
    assert_null(verdict(&m));

    m.id = NULL;
    assert_string_equal(verdict(&m), "id: required");
    m.id = ""; /* empty is missing: an empty string is not sent */
    assert_string_equal(verdict(&m), "id: required");
    m.id = "x";

    uint8_t four[5] = {1, 2, 3, 4, 5};
    m.digest = (tnd_bytes){four, 3};
    assert_string_equal(verdict(&m), "digest: 4 bytes");
    m.digest.len = 4;
    assert_null(verdict(&m));
    m.digest.len = 0; /* empty: not required, so fine */
    assert_null(verdict(&m));

    /* An absent message: its own required field is the one missing. */
    m.part = NULL;
    assert_string_equal(verdict(&m), "part.name: required");
    m.part = &part;
    part.name = "";
    assert_string_equal(verdict(&m), "part.name: required");
    part.name = "p";

    /* A required message itself. */
    m.must = NULL;
    assert_string_equal(verdict(&m), "must: required");
    m.must = &must;

    /* Repeated messages, with their index in the path. */
    tender_test_v1_RulesPart parts[2] = {{.name = "a"}, {.name = NULL}};
    m.parts = parts;
    m.n_parts = 2;
    assert_string_equal(verdict(&m), "parts[1].name: required");
    parts[1].name = "b";
    assert_null(verdict(&m));

    /* The first problem in field-number order is the one reported. */
    m.id = NULL;
    m.must = NULL;
    assert_string_equal(verdict(&m), "id: required");
}

/* required = "message": the whole refusal when the field is missing, or of
 * another length than its len; no path is put in front. */
static void own_message(void **state)
{
    (void)state;
    static const char both[] = "a and key (4 bytes) are required";
    tnd_codec_err err;
    uint8_t key[5] = {1, 2, 3, 4, 5};
    tender_test_v1_RulesOwnPart part = {.name = "p"};
    tender_test_v1_RulesOwn m = {.a = "x", .key = {key, 4}, .part = &part};
    assert_int_equal(tender_test_v1_RulesOwn_check(&m, &err), 0);

    m.a = "";
    assert_int_equal(tender_test_v1_RulesOwn_check(&m, &err), TND_EINVAL);
    assert_string_equal(err.text, both);
    m.a = "x";
    m.key.len = 0;
    assert_int_equal(tender_test_v1_RulesOwn_check(&m, &err), TND_EINVAL);
    assert_string_equal(err.text, both);
    m.key.len = 3; /* the wrong length: the same message, not "key: 4 bytes" */
    assert_int_equal(tender_test_v1_RulesOwn_check(&m, &err), TND_EINVAL);
    assert_string_equal(err.text, both);
    m.key.len = 4;

    /* Inside an absent or a present message; '?' came through generated C intact. */
    part.name = NULL;
    assert_int_equal(tender_test_v1_RulesOwn_check(&m, &err), TND_EINVAL);
    assert_string_equal(err.text, "part: name it (what is it called?\?)");
    m.part = NULL;
    assert_int_equal(tender_test_v1_RulesOwn_check(&m, &err), TND_EINVAL);
    assert_string_equal(err.text, "part: name it (what is it called?\?)");
    assert_string_equal(tender_test_v1_RulesOwn_desc.fields[1].required_msg, both);
    assert_null(tender_test_v1_Rules_desc.fields[0].required_msg);
}

/* Decoding is not held to the rules: a stored record or an answer without
 * a required field still decodes; only tenderd's request path checks. */
static void decode_ignores_rules(void **state)
{
    (void)state;
    tender_test_v1_Rules m;
    tender_test_v1_Rules_init(&m);
    const uint8_t empty_map[] = {0x80};
    assert_int_equal(tender_test_v1_Rules_decode(&m, empty_map, sizeof empty_map, NULL), 0);
    assert_string_equal(verdict(&m), "id: required");
    tender_test_v1_Rules_free(&m);
}

static void limit_constants(void **state)
{
    (void)state;
    assert_int_equal(TENDER_TEST_V1_RULESPART_NAME_MAX_LEN, 16);
    assert_int_equal(TENDER_TEST_V1_RULES_DIGEST_LEN, 4);
    assert_int_equal(TENDER_TEST_V1_LIMITED_TAGS_MAX_COUNT, 2);
    assert_int_equal(TENDER_TEST_V1_LIMITED_TAGS_MAX_LEN, 5);
    /* len is also the field's max_len in the descriptor: decoding bounds it. */
    assert_int_equal(tender_test_v1_Rules_desc.fields[1].max_len, 4);
    assert_int_equal(tender_test_v1_Rules_desc.fields[1].len, 4);
    assert_true(tender_test_v1_Rules_desc.fields[0].required);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_and_len),
        cmocka_unit_test(own_message),
        cmocka_unit_test(decode_ignores_rules),
        cmocka_unit_test(limit_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
