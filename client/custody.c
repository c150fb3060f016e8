/* The supplier's bid files (tender/custody.h): their text, and the folder
 * they are kept in. Files below the bid folder are reached with openat and
 * O_NOFOLLOW from the folder's descriptor, so that a symbolic link planted
 * as a tender folder or a bid file is refused rather than followed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "file_write.h"
#include "tender/custody.h"
#include "tender/encoding.h"

#define PATH_CAP 4096
#define NONCE_B64 TND_BASE64_LEN(32)

static const char HEADER[] =
    "# tender bid file: keep it private; the nonce proves that the bid is yours\n";

static int fail(int rc, char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

bool tnd_custody_tender_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > TND_CUSTODY_TENDER_ID_MAX || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] == '/' || (unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return false;
    return true;
}

int tnd_custody_dir(const char *dir, char *out, size_t len, char *err, size_t err_len)
{
    const char *home = getenv("HOME");
    int n;
    if (!out || !len)
        return fail(TND_EINVAL, err, err_len, "no room for the bid folder's path");
    out[0] = '\0';
    if (dir)
        n = snprintf(out, len, "%s", dir);
    else if (home && *home)
        n = snprintf(out, len, "%s/.tender/bids", home);
    else
        return fail(TND_ENOTFOUND, err, err_len, "no bid folder: HOME is not set");
    if (n <= 0 || (size_t)n >= len) {
        out[0] = '\0';
        return fail(TND_ERANGE, err, err_len, "the bid folder's path is empty or too long");
    }
    return 0;
}

static int ids_check(const char *tender, const char *bid, char *err, size_t err_len)
{
    if (!tnd_custody_tender_id_valid(tender) || !tnd_bid_id_valid(bid))
        return fail(TND_EINVAL, err, err_len,
                    "expected a tender id and a bid id (B- and 32 lowercase hex digits)");
    return 0;
}

int tnd_custody_path(const char *dir, const char *tender, const char *bid, char *out, size_t len,
                     char *err, size_t err_len)
{
    int rc = ids_check(tender, bid, err, err_len);
    if (rc != 0)
        return rc;
    int n = dir && out ? snprintf(out, len, "%s/%s/%s.bid", dir, tender, bid) : -1;
    if (n <= 0 || (size_t)n >= len || (size_t)n >= PATH_CAP)
        return fail(TND_ERANGE, err, err_len, "the bid folder's path is too long");
    return 0;
}

void tnd_custody_init(tnd_bid_custody *f)
{
    memset(f, 0, sizeof *f);
    tender_bids_v1_Receipt_init(&f->receipt);
    tender_bids_v1_Receipt_init(&f->withdrawal);
}

void tnd_custody_free(tnd_bid_custody *f)
{
    if (!f)
        return;
    tender_bids_v1_Receipt_free(&f->receipt);
    tender_bids_v1_Receipt_free(&f->withdrawal);
    OPENSSL_cleanse(f, sizeof *f);
    tnd_custody_init(f);
}

/* ---- the text ---- */

/* "key base64(encoded r)\n" at out (NULL: only measure); its length. */
static size_t put_line(char *out, const char *key, const uint8_t *data, size_t n)
{
    size_t k = strlen(key);
    if (out) {
        memcpy(out, key, k);
        out[k] = ' ';
        tnd_base64_encode(data, n, out + k + 1);
        out[k + 1 + TND_BASE64_LEN(n)] = '\n';
    }
    return k + 1 + TND_BASE64_LEN(n) + 1;
}

int tnd_custody_format(const tnd_bid_custody *f, char **out, size_t *len, char *err, size_t err_len)
{
    if (!f || !out || !len)
        return fail(TND_EINVAL, err, err_len, "no bid to write");
    *out = NULL;
    *len = 0;
    int rc = ids_check(f->tender_id, f->bid_id, err, err_len);
    if (rc != 0)
        return rc;
    if (f->replaces[0] && !tnd_bid_id_valid(f->replaces))
        return fail(TND_EINVAL, err, err_len,
                    "the replaced bid's id is not a bid id (B- and 32 lowercase hex digits)");
    const tender_bids_v1_Receipt *r[2] = {f->has_receipt ? &f->receipt : NULL,
                                          f->has_withdrawal ? &f->withdrawal : NULL};
    static const char *const rkey[2] = {"receipt", "withdrawal"};
    uint8_t *enc[2] = {NULL, NULL};
    size_t el[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        tnd_codec_err ce = {{0}};
        if (r[i] && (rc = tender_bids_v1_Receipt_encode(r[i], &enc[i], &el[i], &ce)) != 0) {
            free(enc[0]);
            return rc == TND_ENOMEM ? fail(rc, err, err_len, "out of memory")
                                    : fail(rc, err, err_len, "cannot encode the %s: %s", rkey[i],
                                           ce.text[0] ? ce.text : tnd_strerror(rc));
        }
    }
    char head[3 * 80 + TND_CUSTODY_TENDER_ID_MAX + 2 * TND_BID_ID_LEN];
    int hn = snprintf(head, sizeof head, "%stender %s\nbid %s\n", HEADER, f->tender_id, f->bid_id);
    size_t need = (size_t)hn + put_line(NULL, "nonce", f->nonce, 32) +
                  (f->replaces[0] ? strlen("replaces \n") + TND_BID_ID_LEN : 0);
    for (int i = 0; i < 2; i++)
        if (r[i])
            need += put_line(NULL, rkey[i], enc[i], el[i]);
    /* What is written must load again. */
    char *buf = need <= TND_CUSTODY_FILE_MAX ? malloc(need + 1) : NULL;
    if (!buf) {
        free(enc[0]);
        free(enc[1]);
        return need > TND_CUSTODY_FILE_MAX
                   ? fail(TND_ELIMIT, err, err_len,
                          "the bid file of %s would be larger than %u bytes", f->bid_id,
                          TND_CUSTODY_FILE_MAX)
                   : fail(TND_ENOMEM, err, err_len, "out of memory");
    }
    size_t n = (size_t)hn;
    memcpy(buf, head, n);
    n += put_line(buf + n, "nonce", f->nonce, 32);
    if (f->replaces[0])
        n += (size_t)sprintf(buf + n, "replaces %s\n", f->replaces);
    for (int i = 0; i < 2; i++) {
        if (r[i])
            n += put_line(buf + n, rkey[i], enc[i], el[i]);
        free(enc[i]);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

enum { K_TENDER, K_BID, K_NONCE, K_REPLACES, K_RECEIPT, K_WITHDRAWAL, K_N };
static const char *const KEYS[K_N] = {"tender",   "bid",     "nonce",
                                      "replaces", "receipt", "withdrawal"};

/* The key of a line, when it looks like one, for a message; values are never
 * quoted (the nonce is one). */
static bool key_like(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_'))
            return false;
    return true;
}

/* The value of a receipt line into r. */
static int parse_receipt(const char *v, tender_bids_v1_Receipt *r, const char *what, int ln,
                         const char *key, char *err, size_t err_len)
{
    size_t vl = strlen(v), n;
    uint8_t *raw = malloc(vl / 4 * 3 + 3);
    if (!raw)
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    int rc = tnd_base64_decode(v, vl, raw, vl / 4 * 3 + 3, &n);
    if (rc != 0 || n == 0) {
        free(raw);
        return fail(TND_EMALFORMED, err, err_len, "%s:%d: the %s is not base64", what, ln, key);
    }
    tnd_codec_err ce = {{0}};
    rc = tender_bids_v1_Receipt_decode(r, raw, n, &ce);
    free(raw);
    if (rc == TND_ENOMEM)
        return fail(rc, err, err_len, "out of memory");
    if (rc != 0)
        return fail(TND_EMALFORMED, err, err_len, "%s:%d: the %s is not an encoded Receipt: %s",
                    what, ln, key, ce.text[0] ? ce.text : tnd_strerror(rc));
    return 0;
}

/* One "key value" line (NUL-terminated, no '\n') into f. */
static int parse_line(char *line, int ln, int seen[K_N], const char *what, tnd_bid_custody *f,
                      char *err, size_t err_len)
{
    char *v = strchr(line, ' ');
    if (!v)
        return fail(TND_EMALFORMED, err, err_len, "%s:%d: not a \"KEY VALUE\" line", what, ln);
    *v++ = '\0';
    int k = 0;
    while (k < K_N && strcmp(line, KEYS[k]) != 0)
        k++;
    if (k == K_N && key_like(line))
        return fail(TND_EMALFORMED, err, err_len,
                    "%s:%d: unknown key \"%s\" (a bid file has tender, bid, nonce, replaces, "
                    "receipt, withdrawal)",
                    what, ln, line);
    if (k == K_N)
        return fail(TND_EMALFORMED, err, err_len, "%s:%d: not a \"KEY VALUE\" line", what, ln);
    if (seen[k])
        return fail(TND_EMALFORMED, err, err_len,
                    "%s:%d: the key %s is given twice (first on line %d)", what, ln, KEYS[k],
                    seen[k]);
    seen[k] = ln;
    size_t n;
    switch (k) {
    case K_TENDER:
        if (!tnd_custody_tender_id_valid(v))
            return fail(TND_EMALFORMED, err, err_len,
                        "%s:%d: the tender id is not a folder name (1 to 64 bytes, no '/', not "
                        "starting with '.')",
                        what, ln);
        snprintf(f->tender_id, sizeof f->tender_id, "%s", v);
        return 0;
    case K_BID:
    case K_REPLACES:
        if (!tnd_bid_id_valid(v))
            return fail(TND_EMALFORMED, err, err_len,
                        "%s:%d: the %s is not a bid id (B- and 32 lowercase hex digits)", what, ln,
                        k == K_BID ? "bid" : "replaced bid");
        snprintf(k == K_BID ? f->bid_id : f->replaces, TND_BID_ID_LEN + 1, "%s", v);
        return 0;
    case K_NONCE:
        if (tnd_base64_decode(v, strlen(v), f->nonce, sizeof f->nonce, &n) != 0 || n != 32)
            return fail(TND_EMALFORMED, err, err_len,
                        "%s:%d: the nonce is not the base64 of 32 bytes", what, ln);
        return 0;
    case K_RECEIPT:
        f->has_receipt = true;
        return parse_receipt(v, &f->receipt, what, ln, "receipt", err, err_len);
    default:
        f->has_withdrawal = true;
        return parse_receipt(v, &f->withdrawal, what, ln, "withdrawal", err, err_len);
    }
}

int tnd_custody_parse(const char *text, size_t len, const char *what, tnd_bid_custody *f, char *err,
                      size_t err_len)
{
    if (!f || (!text && len))
        return fail(TND_EINVAL, err, err_len, "no bid file to read");
    tnd_custody_init(f);
    if (!what)
        what = "the bid file";
    if (len > TND_CUSTODY_FILE_MAX)
        return fail(TND_ELIMIT, err, err_len, "%s is larger than %u bytes: not a bid file", what,
                    TND_CUSTODY_FILE_MAX);
    char *buf = malloc(len + 1);
    if (!buf)
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    if (len)
        memcpy(buf, text, len);
    buf[len] = '\0';
    int seen[K_N] = {0}, ln = 0, rc = 0;
    for (size_t at = 0; rc == 0 && at < len;) {
        char *line = buf + at, *end = memchr(line, '\n', len - at);
        size_t ll = end ? (size_t)(end - line) : len - at;
        at += ll + 1;
        line[ll] = '\0';
        ln++;
        if (strlen(line) != ll)
            rc = fail(TND_EMALFORMED, err, err_len, "%s:%d: a NUL byte: not a text file", what, ln);
        else if (line[0] != '#' && line[0] != '\0')
            rc = parse_line(line, ln, seen, what, f, err, err_len);
    }
    OPENSSL_cleanse(buf, len + 1);
    free(buf);
    for (int k = K_TENDER; rc == 0 && k <= K_NONCE; k++)
        if (!seen[k])
            rc = fail(TND_EMALFORMED, err, err_len,
                      "%s: no %s line (a bid file has tender, bid and nonce lines)", what, KEYS[k]);
    if (rc != 0)
        tnd_custody_free(f);
    return rc;
}

/* ---- the folder ---- */

/* Open DIR/TENDER as a folder, without following a link at TENDER; with
 * make, make DIR (and each missing folder above it) and TENDER first, 0700.
 * path is "DIR/TENDER/BID.bid" for messages. */
static int open_tender(const char *dir, const char *tender, bool make, const char *path, int *out,
                       char *err, size_t err_len)
{
    char p[PATH_CAP];
    int n = snprintf(p, sizeof p, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof p)
        return fail(TND_ERANGE, err, err_len, "the bid folder's path is too long");
    for (char *s = p + 1; make; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return fail(TND_EIO, err, err_len, "cannot create the folder %s: %s", p,
                        strerror(errno));
        if (c == '\0')
            break;
        *s = c;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        if (e == ENOENT && !make)
            return fail(TND_ENOTFOUND, err, err_len, "%s: %s", path, strerror(e));
        if (e == ENOTDIR)
            return fail(TND_EIO, err, err_len, "%s is not a folder", dir);
        return fail(TND_EIO, err, err_len, "%s: %s", make ? dir : path, strerror(e));
    }
    snprintf(p, sizeof p, "%s/%s", dir, tender);
    if (make && mkdirat(dfd, tender, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        close(dfd);
        return fail(TND_EIO, err, err_len, "cannot create the folder %s: %s", p, strerror(e));
    }
    int tfd = openat(dfd, tender, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    struct stat sb;
    /* O_DIRECTORY with O_NOFOLLOW answers ENOTDIR for a link: look. */
    bool link = tfd < 0 && (e == ELOOP ||
                            (e == ENOTDIR && fstatat(dfd, tender, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                             S_ISLNK(sb.st_mode)));
    if (tfd >= 0 && make)
        (void)fsync(dfd); /* the new folder's name, when it is new */
    close(dfd);
    if (tfd >= 0) {
        *out = tfd;
        return 0;
    }
    if (link)
        return fail(TND_EIO, err, err_len,
                    "%s is a symbolic link: refused (bid files are kept in real folders)", p);
    if (e == ENOENT)
        return fail(TND_ENOTFOUND, err, err_len, "%s: %s", path, strerror(e));
    if (e == ENOTDIR)
        return fail(TND_EIO, err, err_len, "%s is not a folder", p);
    return fail(TND_EIO, err, err_len, "%s: %s", p, strerror(e));
}

int tnd_custody_load(const char *dir, const char *tender, const char *bid, tnd_bid_custody *f,
                     char *err, size_t err_len)
{
    char path[PATH_CAP], name[TND_BID_ID_LEN + 8];
    if (!f)
        return fail(TND_EINVAL, err, err_len, "no bid to read into");
    tnd_custody_init(f);
    int rc = tnd_custody_path(dir, tender, bid, path, sizeof path, err, err_len), tfd, fd;
    if (rc != 0 || (rc = open_tender(dir, tender, false, path, &tfd, err, err_len)) != 0)
        return rc;
    snprintf(name, sizeof name, "%s.bid", bid);
    /* O_NONBLOCK: a FIFO in its place must not hang the open. */
    fd = openat(tfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int e = errno;
    close(tfd);
    if (fd < 0 && e == ELOOP)
        return fail(TND_EIO, err, err_len,
                    "%s is a symbolic link: refused (a bid file must be a regular file)", path);
    if (fd < 0)
        return fail(e == ENOENT ? TND_ENOTFOUND : TND_EIO, err, err_len, "%s: %s", path,
                    strerror(e));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(TND_EIO, err, err_len, "%s is not a regular file: not a bid file", path);
    }
    if (sb.st_size > (off_t)TND_CUSTODY_FILE_MAX) {
        close(fd);
        return fail(TND_ELIMIT, err, err_len, "%s is larger than %u bytes: not a bid file", path,
                    TND_CUSTODY_FILE_MAX);
    }
    /* Read to the end, not to st_size: the cap holds even for a file that grows. */
    size_t n = 0;
    char *text = malloc(TND_CUSTODY_FILE_MAX + 1);
    e = 0;
    while (text && n <= TND_CUSTODY_FILE_MAX) {
        ssize_t r = read(fd, text + n, TND_CUSTODY_FILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = r < 0 ? errno : 0;
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    if (!text)
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    if (e != 0)
        rc = fail(TND_EIO, err, err_len, "%s: %s", path, strerror(e));
    else if (n > TND_CUSTODY_FILE_MAX)
        rc = fail(TND_ELIMIT, err, err_len, "%s is larger than %u bytes: not a bid file", path,
                  TND_CUSTODY_FILE_MAX);
    else
        rc = tnd_custody_parse(text, n, path, f, err, err_len);
    OPENSSL_cleanse(text, n);
    free(text);
    if (rc == 0 && (strcmp(f->tender_id, tender) != 0 || strcmp(f->bid_id, bid) != 0)) {
        tnd_custody_free(f);
        rc = fail(TND_EMALFORMED, err, err_len, "%s is not the bid file of %s in %s", path, bid,
                  tender);
    }
    return rc;
}

/* Write len bytes of data as name in the folder tfd, 0600, then sync the folder. */
static int write_file(int tfd, const char *name, const char *data, size_t len, const char *path,
                      char *err, size_t err_len)
{
    if (tnd_file_write_at(tfd, name, data, len, 0600, true) != 0)
        return fail(TND_EIO, err, err_len, "cannot write %s: %s", path, strerror(errno));
    (void)fsync(tfd); /* some file systems refuse it; the data is synced already */
    return 0;
}

int tnd_custody_save(const char *dir, const tnd_bid_custody *f, char *path, size_t path_len,
                     char *err, size_t err_len)
{
    char p[PATH_CAP], name[TND_BID_ID_LEN + 8], *text;
    size_t len;
    if (path && path_len)
        path[0] = '\0';
    if (!f)
        return fail(TND_EINVAL, err, err_len, "no bid to write");
    int rc = tnd_custody_path(dir, f->tender_id, f->bid_id, p, sizeof p, err, err_len), tfd;
    if (rc == 0 && path && strlen(p) >= path_len)
        rc = fail(TND_ERANGE, err, err_len, "the bid folder's path is too long");
    if (rc != 0 || (rc = tnd_custody_format(f, &text, &len, err, err_len)) != 0)
        return rc;
    if ((rc = open_tender(dir, f->tender_id, true, p, &tfd, err, err_len)) == 0) {
        snprintf(name, sizeof name, "%s.bid", f->bid_id);
        rc = write_file(tfd, name, text, len, p, err, err_len);
        close(tfd);
    }
    OPENSSL_cleanse(text, len);
    free(text);
    if (rc == 0 && path)
        snprintf(path, path_len, "%s", p);
    return rc;
}

int tnd_custody_remove(const char *dir, const char *tender, const char *bid, char *err,
                       size_t err_len)
{
    char p[PATH_CAP], name[TND_BID_ID_LEN + 8];
    int rc = tnd_custody_path(dir, tender, bid, p, sizeof p, err, err_len), tfd;
    if (rc != 0 || (rc = open_tender(dir, tender, false, p, &tfd, err, err_len)) != 0)
        return rc;
    snprintf(name, sizeof name, "%s.bid", bid);
    rc = unlinkat(tfd, name, 0);
    int e = errno;
    if (rc == 0)
        (void)fsync(tfd);
    close(tfd);
    if (rc != 0)
        return fail(e == ENOENT ? TND_ENOTFOUND : TND_EIO, err, err_len, "cannot remove %s: %s", p,
                    strerror(e));
    return 0;
}
