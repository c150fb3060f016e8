/* Error texts and names (error.c), role names and method lookup (service.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tender/error.h"
#include "tender/service.h"
#include "test_schema.h"

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(tnd_strerror(TND_ENOMEM), "out of memory");
    assert_string_equal(tnd_err_name(TND_ENOMEM), "TND_ENOMEM");
    assert_string_equal(tnd_strerror(TND_ETOODEEP), "nesting too deep");
    assert_string_equal(tnd_err_name(TND_EUTF8), "TND_EUTF8");
    assert_string_equal(tnd_strerror(TND_ECANCELLED), "cancelled");
    assert_string_equal(tnd_err_name(TND_ECANCELLED), "TND_ECANCELLED");
    assert_string_equal(tnd_err_name(TND_EQUORUM), "TND_EQUORUM");
    assert_string_equal(tnd_strerror(0), "success");
    assert_string_equal(tnd_err_name(0), "TND_OK");
    static const int unknown[] = {1, -23, -1000, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        assert_string_equal(tnd_strerror(unknown[i]), "unknown error");
        assert_string_equal(tnd_err_name(unknown[i]), "TND_E?");
    }
    /* every code has its own text and name */
#define CHECK_ONE(name, value, msg)                                                                \
    assert_string_equal(tnd_strerror(value), msg);                                                 \
    assert_string_equal(tnd_err_name(value), "TND_E" #name);
    TND_ERRNO_MAP(CHECK_ONE)
#undef CHECK_ONE
}

static void test_role_names(void **state)
{
    (void)state;
    assert_string_equal(tnd_role_name(TND_ROLE_OFFICER), "officer");
    assert_string_equal(tnd_role_name(TND_ROLE_SUPPLIER), "supplier");
    assert_string_equal(tnd_role_name(TND_ROLE_AUDITOR), "auditor");
    assert_string_equal(tnd_role_name(TND_ROLE_ADMIN), "admin");
    assert_string_equal(tnd_role_name(TND_ROLE_REVIEWER), "reviewer");
    assert_null(tnd_role_name(0));
    assert_null(tnd_role_name(1u << 5));
    assert_null(tnd_role_name(TND_ROLE_OFFICER | TND_ROLE_ADMIN)); /* one bit at a time */
}

static void test_find_method(void **state)
{
    (void)state;
    const tnd_method_desc *m = tnd_schema_find_method(&test_schema, "tender.test.v1.Sample/Bidi");
    assert_non_null(m);
    assert_ptr_equal(m, tender_test_v1_Sample_Bidi_method);
    assert_int_equal(m->kind, TND_CALL_BIDI);
    m = tnd_schema_find_method(&test_schema, "tender.test.v1.Sample/Unary");
    assert_ptr_equal(m, tender_test_v1_Sample_Unary_method);
    assert_null(tnd_schema_find_method(&test_schema, "tender.test.v1.Sample/Nope"));
    assert_null(tnd_schema_find_method(&test_schema, "tender.test.v1.Sampl/Unary"));
    assert_null(tnd_schema_find_method(&test_schema, "tender.test.v1.Sample"));
    assert_null(tnd_schema_find_method(&test_schema, "/Unary"));
    assert_null(tnd_schema_find_method(&test_schema, ""));
    assert_null(tnd_schema_find_method(&test_schema, NULL));
    assert_null(tnd_schema_find_method(NULL, "tender.test.v1.Sample/Unary"));
    tnd_schema_desc empty = {0};
    assert_null(tnd_schema_find_method(&empty, "tender.test.v1.Sample/Unary"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_find_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
