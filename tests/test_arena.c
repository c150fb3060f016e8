/* The arena (common/arena.h): alignment, zeroing, copies, chunk growth,
 * rewind and reset, and the cap and its sticky failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static void test_alloc_aligned_zeroed(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    assert_int_equal(tnd_arena_held(&a), 0); /* nothing until the first allocation */
    for (size_t n = 0; n < 100; n++) {
        unsigned char *p = tnd_arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xa5, n); /* ASan: the whole block is ours */
    }
    void *z1 = tnd_arena_alloc(&a, 0), *z2 = tnd_arena_alloc(&a, 0);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);
    assert_false(tnd_arena_failed(&a));
    tnd_arena_free(&a);
    assert_int_equal(tnd_arena_held(&a), 0);
}

static void test_copies(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    char *s = tnd_arena_strdup(&a, "tender");
    assert_string_equal(s, "tender");
    assert_null(tnd_arena_strdup(&a, NULL));
    assert_false(tnd_arena_failed(&a)); /* NULL in, NULL out: no failure */
    char *t = tnd_arena_strndup(&a, "abcdef", 3);
    assert_string_equal(t, "abc");
    uint8_t bytes[5] = {1, 2, 3, 4, 5};
    uint8_t *b = tnd_arena_memdup(&a, bytes, sizeof bytes);
    assert_memory_equal(b, bytes, sizeof bytes);
    assert_non_null(tnd_arena_memdup(&a, NULL, 0));
    uint32_t *arr = tnd_arena_calloc(&a, 10, sizeof *arr);
    assert_non_null(arr);
    assert_null(tnd_arena_calloc(&a, SIZE_MAX / 2, 4)); /* overflow */
    assert_true(tnd_arena_failed(&a));
    tnd_arena_free(&a);
}

/* Many allocations and one larger than any chunk: all valid at once. */
static void test_growth(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    char *ptrs[2000];
    for (size_t i = 0; i < 2000; i++) {
        ptrs[i] = tnd_arena_alloc(&a, 100);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], (int)(i & 0xff), 100);
    }
    size_t big_n = 1u << 20;
    char *big = tnd_arena_alloc(&a, big_n);
    assert_non_null(big);
    memset(big, 0x5a, big_n);
    for (size_t i = 0; i < 2000; i++)
        assert_int_equal((unsigned char)ptrs[i][99], i & 0xff);
    assert_true(tnd_arena_held(&a) >= 2000 * 100 + big_n);
    tnd_arena_free(&a);
}

static void test_rewind_and_reset(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    char *keep = tnd_arena_strdup(&a, "kept");
    tnd_arena_mark m = tnd_arena_save(&a);
    size_t held = tnd_arena_held(&a);
    for (int i = 0; i < 100; i++)
        assert_non_null(tnd_arena_alloc(&a, 4096)); /* several new chunks */
    assert_true(tnd_arena_held(&a) > held);
    tnd_arena_rewind(&a, m);
    assert_int_equal(tnd_arena_held(&a), held);
    assert_string_equal(keep, "kept");
    /* The space after the mark is handed out again, zeroed. */
    char *again = tnd_arena_alloc(&a, 16);
    assert_ptr_equal(again, keep + _Alignof(max_align_t) * ((5 + _Alignof(max_align_t) - 1) /
                                                            _Alignof(max_align_t)));
    /* A mark taken on an empty arena rewinds to nothing. */
    tnd_arena b;
    tnd_arena_init(&b, 0);
    tnd_arena_mark m0 = tnd_arena_save(&b);
    assert_non_null(tnd_arena_alloc(&b, 10));
    tnd_arena_rewind(&b, m0);
    assert_int_equal(tnd_arena_held(&b), 0);
    /* Reset keeps one ordinary chunk for the next unit of work. */
    tnd_arena_reset(&a);
    assert_true(tnd_arena_held(&a) > 0);
    assert_true(tnd_arena_held(&a) < 64 * 1024);
    assert_non_null(tnd_arena_alloc(&a, 8));
    tnd_arena_free(&a);
    tnd_arena_free(&b);
    tnd_arena_free(NULL);
}

/* The cap: an allocation beyond it fails, and so does every later one,
 * however small, until reset. */
static void test_cap_sticky(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 16 * 1024);
    size_t got = 0;
    while (tnd_arena_alloc(&a, 256))
        got += 256;
    assert_true(tnd_arena_failed(&a));
    assert_true(got >= 8 * 1024); /* the cap is used, not refused early */
    assert_true(tnd_arena_held(&a) <= 16 * 1024);
    assert_null(tnd_arena_alloc(&a, 1));
    assert_null(tnd_arena_strdup(&a, "x"));
    assert_true(tnd_arena_failed(&a));
    /* Rewinding gives memory back but does not forget the failure. */
    tnd_arena_rewind(&a, (tnd_arena_mark){0});
    assert_true(tnd_arena_failed(&a));
    assert_null(tnd_arena_alloc(&a, 1));
    tnd_arena_reset(&a);
    assert_false(tnd_arena_failed(&a));
    assert_non_null(tnd_arena_alloc(&a, 1));
    /* One allocation larger than the cap fails at once. */
    assert_null(tnd_arena_alloc(&a, 32 * 1024));
    assert_true(tnd_arena_failed(&a));
    assert_null(tnd_arena_alloc(&a, SIZE_MAX));
    tnd_arena_free(&a);
}

/* A hostile size never wraps: SIZE_MAX, and n + 1 for a string. */
static void test_huge_sizes(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    assert_null(tnd_arena_alloc(&a, SIZE_MAX));
    assert_true(tnd_arena_failed(&a));
    tnd_arena_reset(&a);
    assert_null(tnd_arena_strndup(&a, "x", SIZE_MAX));
    assert_true(tnd_arena_failed(&a));
    tnd_arena_reset(&a);
    assert_null(tnd_arena_alloc(&a, SIZE_MAX - 8));
    tnd_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_zeroed),
        cmocka_unit_test(test_copies),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_rewind_and_reset),
        cmocka_unit_test(test_cap_sticky),
        cmocka_unit_test(test_huge_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
