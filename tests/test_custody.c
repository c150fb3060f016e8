/* tender/custody.h without a server: a bid file saved and loaded back the
 * same, its folders 0700 and the file 0600 whatever the umask, every bad line
 * named by its number, symbolic links, FIFOs and over-large files refused,
 * tender ids that would leave the bid folder refused, and the owner nonce in
 * no message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs these first. */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tender/custody.h"
#include "tender/encoding.h"
#include "testsrv.h"

#define TENDER "T-2026-000001"
#define BID "B-0123456789abcdef0123456789abcdef"
#define BID2 "B-fedcba9876543210fedcba9876543210"

static char tmp[] = "/tmp/tnd_custody_XXXXXX";
static char nonce_b64[TND_BASE64_LEN(32) + 1];
static const uint8_t NONCE[32] = {0xde, 0xad, 0xbe, 0xef, 1,  2,  3,  4,  5,  6,  7,
                                  8,    9,    10,   11,   12, 13, 14, 15, 16, 17, 18,
                                  19,   20,   21,   22,   23, 24, 25, 26, 27, 28};

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmp))
        return -1;
    tnd_base64_encode(NONCE, 32, nonce_b64);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(tmp);
    return 0;
}

static const char *at(char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/%s", tmp, rel);
    return buf;
}

static void put_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static mode_t mode_of(const char *path)
{
    struct stat sb;
    assert_int_equal(lstat(path, &sb), 0);
    return sb.st_mode & 07777;
}

static void receipt_fill(tender_bids_v1_Receipt *r, uint64_t leaf)
{
    tender_bids_v1_Receipt_init(r);
    r->bid_id = strdup(BID);
    r->received = calloc(1, sizeof *r->received);
    r->received->seconds = 1780000000;
    r->received->nanos = 5;
    r->envelope_hash.data = calloc(1, 32);
    r->envelope_hash.data[0] = 0x42;
    r->envelope_hash.len = 32;
    r->leaf_index = leaf;
    r->checkpoint = strdup("tenderd.example\n7\nAAAA\n");
}

/* A full custody record: ids, nonce, replaced bid, both receipts. */
static void full(tnd_bid_custody *f)
{
    tnd_custody_init(f);
    snprintf(f->tender_id, sizeof f->tender_id, "%s", TENDER);
    snprintf(f->bid_id, sizeof f->bid_id, "%s", BID);
    snprintf(f->replaces, sizeof f->replaces, "%s", BID2);
    memcpy(f->nonce, NONCE, 32);
    receipt_fill(&f->receipt, 6);
    receipt_fill(&f->withdrawal, 9);
    f->has_receipt = f->has_withdrawal = true;
}

/* The text of a minimal valid bid file, with extra appended. */
static int minimal(char *buf, size_t len, const char *extra)
{
    return snprintf(buf, len, "# comment\ntender " TENDER "\nbid " BID "\nnonce %s\n%s", nonce_b64,
                    extra);
}

static void no_nonce_in(const char *err)
{
    char part[13];
    assert_null(strstr(err, nonce_b64));
    memcpy(part, nonce_b64, 12); /* not even a piece of it */
    part[12] = '\0';
    assert_null(strstr(err, part));
}

static void test_round_trip(void **state)
{
    (void)state;
    char dir[300], path[400], err[600] = "", *t1, *t2;
    size_t l1, l2;
    tnd_bid_custody f, g;
    full(&f);
    at(dir, sizeof dir, "home/.tender/bids"); /* missing folders on the way are made */
    assert_int_equal(tnd_custody_save(dir, &f, path, sizeof path, err, sizeof err), 0);
    char want[400];
    snprintf(want, sizeof want, "%s/" TENDER "/" BID ".bid", dir);
    assert_string_equal(path, want);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &g, err, sizeof err), 0);
    assert_string_equal(g.tender_id, TENDER);
    assert_string_equal(g.bid_id, BID);
    assert_string_equal(g.replaces, BID2);
    assert_memory_equal(g.nonce, NONCE, 32);
    assert_true(g.has_receipt && g.has_withdrawal);
    assert_int_equal(g.receipt.leaf_index, 6);
    assert_int_equal(g.withdrawal.leaf_index, 9);
    assert_string_equal(g.receipt.checkpoint, "tenderd.example\n7\nAAAA\n");
    /* Loaded, it formats to the same bytes. */
    assert_int_equal(tnd_custody_format(&f, &t1, &l1, err, sizeof err), 0);
    assert_int_equal(tnd_custody_format(&g, &t2, &l2, err, sizeof err), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(t1, t2, l1);
    assert_non_null(strstr(t1, "\nnonce "));
    free(t1);
    free(t2);

    /* Saved again without receipts (as before a submission): replaced, and the
     * folder holds the bid file alone (no temporary left). */
    tnd_custody_free(&g);
    tender_bids_v1_Receipt_free(&f.receipt);
    tender_bids_v1_Receipt_free(&f.withdrawal);
    f.has_receipt = f.has_withdrawal = false;
    f.replaces[0] = '\0';
    assert_int_equal(tnd_custody_save(dir, &f, NULL, 0, err, sizeof err), 0);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &g, err, sizeof err), 0);
    assert_false(g.has_receipt || g.has_withdrawal);
    assert_string_equal(g.replaces, "");
    char listing[500];
    snprintf(listing, sizeof listing, "test \"$(ls -A '%s/" TENDER "')\" = '" BID ".bid'", dir);
    assert_int_equal(system(listing), 0);

    /* Freed, nothing of the nonce is left in the struct. */
    tnd_custody_free(&g);
    uint8_t zero[32] = {0};
    assert_memory_equal(g.nonce, zero, 32);
    assert_false(g.has_receipt);
    tnd_custody_free(&f);

    /* Removed, it is gone; removing again says so. */
    assert_int_equal(tnd_custody_remove(dir, TENDER, BID, err, sizeof err), 0);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &g, err, sizeof err), TND_ENOTFOUND);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(tnd_custody_remove(dir, TENDER, BID, err, sizeof err), TND_ENOTFOUND);
}

static void test_permissions(void **state)
{
    (void)state;
    char dir[300], p[400], err[600] = "";
    tnd_bid_custody f;
    full(&f);
    mode_t old = umask(0); /* the modes come from the library, not from the umask */
    at(dir, sizeof dir, "perm/bids");
    int rc = tnd_custody_save(dir, &f, p, sizeof p, err, sizeof err);
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(mode_of(p), 0600);
    assert_int_equal(mode_of(at(p, sizeof p, "perm")), 0700);
    assert_int_equal(mode_of(dir), 0700);
    assert_int_equal(mode_of(at(p, sizeof p, "perm/bids/" TENDER)), 0700);
    tnd_custody_free(&f);
}

typedef struct bad_case {
    const char *extra; /* appended to a minimal valid file (4 lines) */
    int line;          /* the line named, 0 for none */
    const char *says;
} bad_case;

static void test_bad_lines(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"colour blue\n", 5, "unknown key \"colour\""},
        {"bid " BID "\n", 5, "the key bid is given twice (first on line 3)"},
        {"replaces B-nothex\n", 5, "not a bid id"},
        {"receipt not*base64\n", 5, "the receipt is not base64"},
        {"withdrawal AAAA\n", 5, "the withdrawal is not an encoded Receipt"},
        {"\n\nreplaces\n", 7, "not a \"KEY VALUE\" line"},
        {"receipt  AAAA\n", 5, "the receipt is not base64"}, /* two spaces */
    };
    char text[600], err[600];
    tnd_bid_custody f;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = minimal(text, sizeof text, cases[i].extra);
        err[0] = '\0';
        assert_int_equal(tnd_custody_parse(text, (size_t)n, "up.bid", &f, err, sizeof err),
                         TND_EMALFORMED);
        char where[32];
        snprintf(where, sizeof where, "up.bid:%d: ", cases[i].line);
        if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, cases[i].says))
            fail_msg("case %zu: \"%s\"", i, err);
        /* Refused, f is empty. */
        assert_string_equal(f.tender_id, "");
        assert_false(f.has_receipt || f.has_withdrawal);
    }

    /* Lines that are not the minimal file's. */
    static const struct {
        const char *text;
        const char *says;
    } raw[] = {
        {"tender ../x\n", "up.bid:1: the tender id is not a folder name"},
        {"tender " TENDER "\r\nbid " BID "\r\n", "up.bid:1: the tender id"}, /* CRLF */
        {"tender " TENDER "\nbid " BID "\n", "up.bid: no nonce line"},
        {"bid " BID "\nnonce AAAA\n", "up.bid:2: the nonce is not the base64 of 32 bytes"},
        {"\ttender " TENDER "\n", "up.bid:1: not a \"KEY VALUE\" line"},
        {"", "up.bid: no tender line"},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        err[0] = '\0';
        assert_int_equal(
            tnd_custody_parse(raw[i].text, strlen(raw[i].text), "up.bid", &f, err, sizeof err),
            TND_EMALFORMED);
        if (strncmp(err, raw[i].says, strlen(raw[i].says)) != 0)
            fail_msg("raw %zu: \"%s\"", i, err);
    }

    /* A NUL byte on line 2. */
    const char nul[] = "tender " TENDER "\nbid B-\0\n";
    assert_int_equal(tnd_custody_parse(nul, sizeof nul - 1, "up.bid", &f, err, sizeof err),
                     TND_EMALFORMED);
    assert_non_null(strstr(err, "up.bid:2: a NUL byte"));

    /* From a file, the message names the file and the line. */
    char dir[300], p[400];
    at(dir, sizeof dir, "bad");
    snprintf(p, sizeof p, "%s/" TENDER, dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/" TENDER "/" BID ".bid", dir);
    int n = minimal(text, sizeof text, "colour blue\n");
    put_file(p, text, (size_t)n);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &f, err, sizeof err), TND_EMALFORMED);
    char want[500];
    snprintf(want, sizeof want, "%s:5: unknown key", p);
    assert_non_null(strstr(err, want));

    /* Another bid's file under this bid's name. */
    n = snprintf(text, sizeof text, "tender " TENDER "\nbid " BID2 "\nnonce %s\n", nonce_b64);
    put_file(p, text, (size_t)n);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &f, err, sizeof err), TND_EMALFORMED);
    assert_non_null(strstr(err, "is not the bid file of " BID " in " TENDER));
}

/* The nonce is never quoted, whatever is wrong with the file around it. */
static void test_nonce_not_in_messages(void **state)
{
    (void)state;
    char text[800], err[800], extra[300];
    tnd_bid_custody f;
    const char *fmts[] = {
        "nonce %s\n",    /* given twice */
        "nonce %s=\n",   /* bad base64 on a second nonce line */
        "%s x\n",        /* the nonce as a key */
        "nonce%s\n",     /* no space */
        "x%s y\n",       /* unknown key holding the nonce */
        "receipt %s\n",  /* base64, not a Receipt */
        "tender %s\n",   /* repeated key */
        "nonce_%s %s\n", /* long key */
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        snprintf(extra, sizeof extra, fmts[i], nonce_b64, nonce_b64);
        int n = minimal(text, sizeof text, extra);
        err[0] = '\0';
        assert_int_not_equal(tnd_custody_parse(text, (size_t)n, "n.bid", &f, err, sizeof err), 0);
        assert_true(err[0] != '\0');
        no_nonce_in(err);
    }
    /* The nonce line itself broken: its value is not quoted either. */
    snprintf(text, sizeof text, "tender " TENDER "\nbid " BID "\nnonce %s%s\n", nonce_b64,
             nonce_b64);
    assert_int_equal(tnd_custody_parse(text, strlen(text), "n.bid", &f, err, sizeof err),
                     TND_EMALFORMED);
    no_nonce_in(err);

    /* Nor in the messages of a load that finds the wrong file. */
    char dir[300], p[400];
    tnd_bid_custody g;
    full(&g);
    at(dir, sizeof dir, "nonce");
    assert_int_equal(tnd_custody_save(dir, &g, p, sizeof p, err, sizeof err), 0);
    tnd_custody_free(&g);
    char other[400];
    snprintf(other, sizeof other, "%s/" TENDER "/" BID2 ".bid", dir);
    assert_int_equal(rename(p, other), 0);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID2, &f, err, sizeof err), TND_EMALFORMED);
    no_nonce_in(err);
}

static void test_symlinks_refused(void **state)
{
    (void)state;
    char dir[300], p[400], real[400], err[600] = "", text[600];
    tnd_bid_custody f;
    full(&f);
    at(dir, sizeof dir, "links");
    assert_int_equal(tnd_custody_save(dir, &f, p, sizeof p, err, sizeof err), 0);

    /* The bid file a link to a valid bid file elsewhere. */
    at(real, sizeof real, "elsewhere.bid");
    assert_int_equal(rename(p, real), 0);
    assert_int_equal(symlink(real, p), 0);
    tnd_bid_custody g;
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &g, err, sizeof err), TND_EIO);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_non_null(strstr(err, p));
    /* Saving replaces the link, never writes through it. */
    put_file(real, "marker\n", 7);
    assert_int_equal(tnd_custody_save(dir, &f, NULL, 0, err, sizeof err), 0);
    char back[16] = "";
    FILE *rf = fopen(real, "r");
    assert_non_null(rf);
    assert_non_null(fgets(back, sizeof back, rf));
    fclose(rf);
    assert_string_equal(back, "marker\n");
    struct stat sb;
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));

    /* The tender folder a link to another folder holding a valid file. */
    char tdir[400], target[300];
    at(target, sizeof target, "target");
    assert_int_equal(mkdir(target, 0700), 0);
    snprintf(p, sizeof p, "%s/" BID ".bid", target);
    int n = minimal(text, sizeof text, "");
    put_file(p, text, (size_t)n);
    snprintf(tdir, sizeof tdir, "%s/" TENDER, dir);
    test_rmtree(tdir);
    assert_int_equal(symlink(target, tdir), 0);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &g, err, sizeof err), TND_EIO);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(tnd_custody_save(dir, &f, NULL, 0, err, sizeof err), TND_EIO);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(tnd_custody_remove(dir, TENDER, BID, err, sizeof err), TND_EIO);
    assert_int_equal(access(p, F_OK), 0); /* not removed through the link */
    tnd_custody_free(&f);
}

static void test_not_regular_or_too_large(void **state)
{
    (void)state;
    char dir[300], p[400], err[600] = "";
    tnd_bid_custody f;
    at(dir, sizeof dir, "large");
    snprintf(p, sizeof p, "%s/" TENDER, dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/" TENDER "/" BID ".bid", dir);

    /* One byte over the cap: a valid file padded with comment lines. */
    size_t big = TND_CUSTODY_FILE_MAX + 1;
    char *text = malloc(big);
    assert_non_null(text);
    int n = minimal(text, big, "");
    memset(text + n, '#', big - (size_t)n);
    text[big - 1] = '\n';
    put_file(p, text, big);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &f, err, sizeof err), TND_ELIMIT);
    assert_non_null(strstr(err, "is larger than 1048576 bytes"));
    assert_int_equal(tnd_custody_parse(text, big, "up.bid", &f, err, sizeof err), TND_ELIMIT);
    /* At the cap exactly, it loads. */
    text[big - 2] = '\n';
    put_file(p, text, big - 1);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &f, err, sizeof err), 0);
    tnd_custody_free(&f);
    free(text);

    /* A receipt beyond the schema's limits is not written (nor anything else). */
    full(&f);
    free(f.receipt.checkpoint);
    f.receipt.checkpoint = malloc(big);
    assert_non_null(f.receipt.checkpoint);
    memset(f.receipt.checkpoint, 'c', big - 1);
    f.receipt.checkpoint[big - 1] = '\0';
    char huge[400];
    at(huge, sizeof huge, "huge");
    assert_int_equal(tnd_custody_save(huge, &f, NULL, 0, err, sizeof err), TND_ELIMIT);
    assert_int_equal(access(huge, F_OK), -1);
    tnd_custody_free(&f);

    /* A FIFO is refused at once (the open does not wait for a writer), and so
     * is a folder. */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &f, err, sizeof err), TND_EIO);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(tnd_custody_load(dir, TENDER, BID, &f, err, sizeof err), TND_EIO);
}

static void test_tender_ids(void **state)
{
    (void)state;
    char long_id[80], err[600] = "", dir[300], p[4200];
    memset(long_id, 'T', 65);
    long_id[65] = '\0';
    const char *bad[] = {"../x", "a/b", ".hidden", "..", ".", "", "x/", "a\nb", "a\tb", long_id};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tnd_custody_tender_id_valid(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
    assert_false(tnd_custody_tender_id_valid(NULL));
    long_id[64] = '\0';
    assert_true(tnd_custody_tender_id_valid(long_id));
    assert_true(tnd_custody_tender_id_valid(TENDER));
    assert_true(tnd_custody_tender_id_valid("x..y"));

    /* Refused by every function, before any file is touched. */
    at(dir, sizeof dir, "ids/bids");
    tnd_bid_custody f, g;
    full(&f);
    for (size_t i = 0; i < 3; i++) {
        snprintf(f.tender_id, sizeof f.tender_id, "%s", bad[i]);
        assert_int_equal(tnd_custody_save(dir, &f, NULL, 0, err, sizeof err), TND_EINVAL);
        assert_non_null(strstr(err, "expected a tender id and a bid id"));
        assert_int_equal(tnd_custody_load(dir, bad[i], BID, &g, err, sizeof err), TND_EINVAL);
        assert_int_equal(tnd_custody_remove(dir, bad[i], BID, err, sizeof err), TND_EINVAL);
        assert_int_equal(tnd_custody_path(dir, bad[i], BID, p, sizeof p, err, sizeof err),
                         TND_EINVAL);
    }
    tnd_custody_free(&f);
    assert_int_equal(access(at(p, sizeof p, "ids"), F_OK), -1); /* nothing was made */
    assert_int_equal(tnd_custody_path(dir, TENDER, "B-nothex", p, sizeof p, err, sizeof err),
                     TND_EINVAL);
    assert_int_equal(tnd_custody_path(dir, TENDER, BID, p, 20, err, sizeof err), TND_ERANGE);
    assert_int_equal(tnd_custody_path(dir, TENDER, BID, p, sizeof p, err, sizeof err), 0);
}

static void test_dir(void **state)
{
    (void)state;
    char out[300], err[300], *home = getenv("HOME");
    char saved[300];
    snprintf(saved, sizeof saved, "%s", home ? home : "");
    assert_int_equal(tnd_custody_dir("/x/bids", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/x/bids");
    setenv("HOME", "/home/ann", 1);
    assert_int_equal(tnd_custody_dir(NULL, out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/home/ann/.tender/bids");
    assert_int_equal(tnd_custody_dir(NULL, out, 10, err, sizeof err), TND_ERANGE);
    assert_int_equal(tnd_custody_dir("", out, sizeof out, err, sizeof err), TND_ERANGE);
    unsetenv("HOME");
    assert_int_equal(tnd_custody_dir(NULL, out, sizeof out, err, sizeof err), TND_ENOTFOUND);
    assert_string_equal(err, "no bid folder: HOME is not set");
    if (home)
        setenv("HOME", saved, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_bad_lines),        cmocka_unit_test(test_nonce_not_in_messages),
        cmocka_unit_test(test_symlinks_refused), cmocka_unit_test(test_not_regular_or_too_large),
        cmocka_unit_test(test_tender_ids),       cmocka_unit_test(test_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
