/* The witness's state folder (witness.h): its key and name, and the latest
 * cosigned checkpoint of each log. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "file_write.h"
#include "note_internal.h"
#include "tender/encoding.h"
#include "tender/witness.h"
#include "witness.h"

#define KEY_FILE "witness.key"
#define NAME_FILE "witness.name"
#define CP_DIR "checkpoints"
#define EV_DIR "evidence"

static int fail(char *err, size_t err_len, const char *fmt, const char *a, const char *b)
{
    snprintf(err, err_len, fmt, a, b);
    return -1;
}

/* Read the whole regular file name in dirfd (at most max bytes) into a
 * malloc'd NUL-terminated buffer. NULL with errno (EFBIG: too large). */
static char *read_at(int dirfd, const char *name, size_t max, size_t *len, mode_t *mode)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto out;
    }
    if ((size_t)st.st_size > max) {
        errno = EFBIG;
        goto out;
    }
    if (mode)
        *mode = st.st_mode;
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto out;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* shrank while read */
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
out:;
    int e = errno;
    close(fd);
    errno = e;
    return buf;
}

bool wit_name_ok(const char *name)
{
    return tnd__note_name_ok(name, strnlen(name, TND_NOTE_MAX_NAME + 1)) == 1;
}

static void sha256_hex(const char *s, char out[65])
{
    uint8_t h[32];
    unsigned hl = 0;
    EVP_Digest(s, strlen(s), h, &hl, EVP_sha256(), NULL);
    tnd_hex_encode(h, sizeof h, out);
}

int wit_init(const char *dir, const char *name, char *err, size_t err_len)
{
    if (!wit_name_ok(name))
        return fail(err, err_len,
                    "--name %s: a witness name is 1..255 bytes of UTF-8 without spaces, '+' or "
                    "control characters, e.g. audit.example/witness%s",
                    name, "");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fail(err, err_len, "cannot create %s: %s", dir, strerror(errno));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fail(err, err_len, "cannot open %s: %s", dir, strerror(errno));
    int rc = -1;
    EVP_PKEY *key = NULL;
    char *pem = NULL;
    if (faccessat(dfd, KEY_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        fail(err, err_len, "%s/" KEY_FILE " exists: %s is already a witness's state folder", dir,
             dir);
        goto out;
    }
    if ((mkdirat(dfd, CP_DIR, 0700) != 0 && errno != EEXIST) ||
        (mkdirat(dfd, EV_DIR, 0700) != 0 && errno != EEXIST)) {
        fail(err, err_len, "cannot create the subfolders of %s: %s", dir, strerror(errno));
        goto out;
    }
    key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    BIO *b = BIO_new(BIO_s_mem());
    long pem_len = 0;
    char *p;
    if (!key || !b || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        (pem_len = BIO_get_mem_data(b, &p)) <= 0 || !(pem = malloc((size_t)pem_len))) {
        BIO_free(b);
        ERR_clear_error();
        fail(err, err_len, "cannot make an Ed25519 key%s%s", "", "");
        goto out;
    }
    memcpy(pem, p, (size_t)pem_len);
    BIO_free(b);
    char line[TND_NOTE_MAX_NAME + 2];
    int nl = snprintf(line, sizeof line, "%s\n", name);
    /* The name first: a folder with a key always has its name. */
    if (tnd_file_write_at(dfd, NAME_FILE, line, (size_t)nl, 0644, true) != 0 ||
        tnd_file_write_at(dfd, KEY_FILE, pem, (size_t)pem_len, 0600, false) != 0 ||
        fsync(dfd) != 0) {
        fail(err, err_len, "cannot write the key in %s: %s", dir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (pem)
        OPENSSL_cleanse(pem, (size_t)pem_len);
    free(pem);
    EVP_PKEY_free(key);
    close(dfd);
    return rc;
}

/* One checkpoint file: it parses, is named after its origin, and carries
 * the witness's own valid cosignature. */
static int load_checkpoint(wit *w, const char *fname, char *err, size_t err_len)
{
    size_t len = 0;
    char *note = read_at(w->cpfd, fname, WIT_MAX_STATE_FILE, &len, NULL);
    char path[4400];
    snprintf(path, sizeof path, "%s/" CP_DIR "/%s", w->dir, fname);
    if (!note)
        return fail(err, err_len, "cannot read %s: %s", path,
                    errno == EFBIG ? "larger than any checkpoint" : strerror(errno));
    const char *why = NULL;
    tnd_checkpoint cp;
    char hex[65];
    size_t tl = wit_note_text_len(note, len);
    if (strlen(note) != len || tl == 0) {
        why = "not a signed note";
    } else {
        char text[WIT_MAX_NOTE + 1];
        if (tl >= sizeof text) {
            why = "not a checkpoint";
        } else {
            memcpy(text, note, tl);
            text[tl] = '\0';
            if (tnd_checkpoint_parse(text, &cp) != 0)
                why = "not a checkpoint";
        }
    }
    if (!why) {
        sha256_hex(cp.origin, hex);
        if (strcmp(hex, fname) != 0)
            why = "its origin does not hash to its file name";
        else if (tnd_cosig_verify(note, len, &w->self, NULL) != 0)
            why = "it lacks a valid cosignature by this witness's key";
    }
    if (why) {
        free(note);
        return fail(err, err_len, "%s: %s", path, why);
    }
    wit_log *l = wit_get(w, cp.origin);
    if (!l) {
        free(note);
        return fail(err, err_len, "out of memory reading %s%s", path, "");
    }
    l->have = true;
    l->cp = cp;
    l->note = note;
    l->note_len = len;
    return 0;
}

static int load_key(wit *w, char *err, size_t err_len)
{
    size_t len = 0;
    mode_t mode = 0;
    char *name = read_at(w->dirfd, NAME_FILE, TND_NOTE_MAX_NAME + 2, &len, NULL);
    if (!name)
        return fail(err, err_len,
                    "%s is not a witness's state folder (cannot read " NAME_FILE
                    ": %s); make one with tenderwitness init",
                    w->dir, strerror(errno));
    if (len > 0 && name[len - 1] == '\n')
        name[--len] = '\0';
    bool ok = wit_name_ok(name);
    if (ok)
        snprintf(w->name, sizeof w->name, "%s", name);
    free(name);
    if (!ok)
        return fail(err, err_len, "%s/" NAME_FILE ": not a valid witness name%s", w->dir, "");
    char *pem = read_at(w->dirfd, KEY_FILE, 16384, &len, &mode);
    if (!pem)
        return fail(err, err_len, "cannot read %s/" KEY_FILE ": %s", w->dir, strerror(errno));
    if (mode & 077) {
        OPENSSL_cleanse(pem, len);
        free(pem);
        return fail(err, err_len, "%s/" KEY_FILE " is readable by others: chmod 600 %s/" KEY_FILE,
                    w->dir, w->dir);
    }
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    w->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    OPENSSL_cleanse(pem, len);
    free(pem);
    ERR_clear_error();
    uint8_t pub[32];
    size_t pl = sizeof pub;
    char vkey[TND_NOTE_VKEY_MAX];
    if (!w->key || !EVP_PKEY_is_a(w->key, "ED25519") ||
        EVP_PKEY_get_raw_public_key(w->key, pub, &pl) != 1 ||
        tnd_cosigner_format(w->name, pub, vkey, sizeof vkey) != 0 ||
        tnd_cosigner_parse(vkey, &w->self) != 0) {
        ERR_clear_error();
        return fail(err, err_len, "%s/" KEY_FILE " is not an Ed25519 private key%s", w->dir, "");
    }
    return 0;
}

int wit_open(wit *w, const char *dir, char *err, size_t err_len)
{
    memset(w, 0, sizeof *w);
    w->dirfd = w->cpfd = w->evfd = -1;
    pthread_mutex_init(&w->mu, NULL);
    if (strlen(dir) >= sizeof w->dir)
        return fail(err, err_len, "--state %s: path too long%s", dir, "");
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0)
        return fail(err, err_len, "cannot open the state folder %s: %s", dir, strerror(errno));
    if (load_key(w, err, err_len) != 0)
        return -1;
    w->cpfd = openat(w->dirfd, CP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    w->evfd = openat(w->dirfd, EV_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->cpfd < 0 || w->evfd < 0)
        return fail(err, err_len, "cannot open %s/" CP_DIR " or " EV_DIR ": %s", dir,
                    strerror(errno));
    int fd = dup(w->cpfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return fail(err, err_len, "cannot list %s/" CP_DIR ": %s", dir, strerror(errno));
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        /* A temporary file of a write in progress (print-key beside serve) or
         * of one that crashed before its rename: not state. */
        if (strstr(e->d_name, ".tmp"))
            continue;
        rc = load_checkpoint(w, e->d_name, err, err_len);
    }
    closedir(d);
    if (rc != 0) {
        /* Starting from less than was cosigned would let a log roll back. */
        size_t n = strlen(err);
        snprintf(err + n, err_len - n,
                 "; refusing to start: restore the file from a backup (docs/WITNESS.md)");
    }
    return rc;
}

int wit_lock(wit *w, char *err, size_t err_len)
{
    if (flock(w->dirfd, LOCK_EX | LOCK_NB) != 0)
        return fail(err, err_len, "%s is in use by another tenderwitness serve (%s)", w->dir,
                    strerror(errno));
    return 0;
}

int wit_add_log_key(wit *w, const char *vkey, char *err, size_t err_len)
{
    tnd_note_verifier v;
    if (tnd_note_verifier_parse(vkey, &v) != 0)
        return fail(err, err_len,
                    "--log %s: not a log verifier key (NAME+KEYID+BASE64, as tenderd prints "
                    "it)%s",
                    vkey, "");
    for (size_t i = 0; i < w->n_keys; i++)
        if (strcmp(w->keys[i].name, v.name) == 0 && memcmp(w->keys[i].key, v.key, 32) == 0)
            return fail(err, err_len, "--log %s: given twice%s", vkey, "");
    if (w->n_keys == WIT_MAX_LOGS)
        return fail(err, err_len, "--log %s: more than %s log keys", vkey, "64");
    wit_log *l = wit_get(w, v.name);
    if (!l)
        return fail(err, err_len, "out of memory%s%s", "", "");
    l->configured = true;
    w->keys[w->n_keys++] = v;
    return 0;
}

int wit_vkey(const wit *w, char *out, size_t cap)
{
    uint8_t pub[32];
    size_t pl = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(w->key, pub, &pl) != 1)
        return -1;
    return tnd_cosigner_format(w->name, pub, out, cap) == 0 ? 0 : -1;
}

wit_log *wit_find(wit *w, const char *origin)
{
    for (size_t i = 0; i < w->n_logs; i++)
        if (strcmp(w->logs[i].origin, origin) == 0)
            return &w->logs[i];
    return NULL;
}

wit_log *wit_get(wit *w, const char *origin)
{
    wit_log *l = wit_find(w, origin);
    if (l)
        return l;
    wit_log *n = realloc(w->logs, (w->n_logs + 1) * sizeof *n);
    if (!n)
        return NULL;
    w->logs = n;
    l = &n[w->n_logs++];
    memset(l, 0, sizeof *l);
    snprintf(l->origin, sizeof l->origin, "%s", origin);
    sha256_hex(origin, l->hash_hex);
    return l;
}

int wit_store(wit *w, wit_log *l, const tnd_checkpoint *cp, const char *note, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, note, len);
    copy[len] = '\0';
    if (tnd_file_write_at(w->cpfd, l->hash_hex, note, len, 0644, true) != 0 ||
        fsync(w->cpfd) != 0) {
        int e = errno;
        free(copy);
        errno = e;
        return -1;
    }
    free(l->note);
    l->note = copy;
    l->note_len = len;
    l->cp = *cp;
    l->have = true;
    return 0;
}

void wit_close(wit *w)
{
    for (size_t i = 0; i < w->n_logs; i++)
        free(w->logs[i].note);
    free(w->logs);
    EVP_PKEY_free(w->key);
    if (w->cpfd >= 0)
        close(w->cpfd);
    if (w->evfd >= 0)
        close(w->evfd);
    if (w->dirfd >= 0)
        close(w->dirfd);
    pthread_mutex_destroy(&w->mu);
    memset(w, 0, sizeof *w);
    w->dirfd = w->cpfd = w->evfd = -1;
}
