/* Files of the developer PKI (see pki_io.h). */
#include "pki_io.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tender/error.h"
#include "tls.h"

#define PKI_PATH_MAX 4096

int tnd__pki_emit_cert(BIO *bio, const void *x509)
{
    return PEM_write_bio_X509(bio, (X509 *)x509);
}

int tnd__pki_emit_key(BIO *bio, const void *pkey)
{
    return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)pkey, NULL, NULL, 0, NULL, NULL);
}

int tnd__pki_emit_crl(BIO *bio, const void *crl)
{
    return PEM_write_bio_X509_CRL(bio, (X509_CRL *)crl);
}

int tnd__pki_path(char *buf, size_t buf_len, const char *dir, const char *file, char *err,
                  size_t err_len)
{
    int n = snprintf(buf, buf_len, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= buf_len) {
        tnd_tls_error(err, err_len, "path %s/%s is too long", dir, file);
        return TND_EINVAL;
    }
    return 0;
}

/* Creates a fresh temporary file next to the target, with the final mode
 * from the start (a key is never readable by others, not even briefly). */
static int open_temp(const char *dir, const char *file, mode_t mode, char *tmp, size_t tmp_len,
                     char *err, size_t err_len)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned char rnd[6];
        if (RAND_bytes(rnd, sizeof rnd) != 1) {
            tnd_tls_error(err, err_len, "no randomness for a temporary file name");
            return TND_ECRYPTO;
        }
        int n = snprintf(tmp, tmp_len, "%s/.%s.%02x%02x%02x%02x%02x%02x.tmp", dir, file, rnd[0],
                         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        if (n < 0 || (size_t)n >= tmp_len) {
            tnd_tls_error(err, err_len, "path %s/%s is too long", dir, file);
            return TND_EINVAL;
        }
        int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            tnd_tls_error(err, err_len, "cannot create %s: %s", tmp, strerror(errno));
            return TND_EIO;
        }
    }
    tnd_tls_error(err, err_len, "cannot find a free temporary name in %s", dir);
    return TND_EIO;
}

/* Writes the PEM text to fd and makes it durable before the rename. */
static int fill_temp(int fd, const char *tmp, tnd__pki_emit_fn emit, const void *obj, char *err,
                     size_t err_len)
{
    BIO *bio = BIO_new_fd(fd, BIO_NOCLOSE);
    if (!bio) {
        tnd_tls_error(err, err_len, "cannot write %s", tmp);
        return TND_ENOMEM;
    }
    int ok = emit(bio, obj) == 1 && BIO_flush(bio) == 1;
    BIO_free(bio);
    if (!ok) {
        tnd_tls_error(err, err_len, "cannot write %s", tmp);
        return TND_EIO;
    }
    if (fsync(fd) != 0) {
        tnd_tls_error(err, err_len, "cannot sync %s: %s", tmp, strerror(errno));
        return TND_EIO;
    }
    return 0;
}

/* Makes a rename or link in dir durable. Best effort: some file systems
 * refuse fsync on a directory, and the data itself is already synced. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Temp file, fsync, then rename (or link, which unlike rename refuses to
 * replace an existing file, for no_replace). */
int tnd__pki_write(const char *dir, const char *file, mode_t mode, bool no_replace,
                   tnd__pki_emit_fn emit, const void *obj, char *err, size_t err_len)
{
    char path[PKI_PATH_MAX], tmp[PKI_PATH_MAX];
    int rc = tnd__pki_path(path, sizeof path, dir, file, err, err_len);
    if (rc != 0)
        return rc;
    int fd = open_temp(dir, file, mode, tmp, sizeof tmp, err, err_len);
    if (fd < 0)
        return fd;
    rc = fill_temp(fd, tmp, emit, obj, err, err_len);
    if (close(fd) != 0 && rc == 0) {
        tnd_tls_error(err, err_len, "cannot write %s: %s", tmp, strerror(errno));
        rc = TND_EIO;
    }
    if (rc != 0)
        goto remove_tmp;
    if (no_replace) {
        if (link(tmp, path) != 0) {
            rc = errno == EEXIST ? TND_EEXISTS : TND_EIO;
            tnd_tls_error(err, err_len, "cannot create %s: %s", path, strerror(errno));
        }
        goto remove_tmp;
    }
    if (rename(tmp, path) != 0) {
        tnd_tls_error(err, err_len, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = TND_EIO;
        goto remove_tmp;
    }
    sync_dir(dir);
    return 0;

remove_tmp:
    unlink(tmp);
    if (rc == 0)
        sync_dir(dir);
    return rc;
}

/* Opens dir/file as a BIO, telling "missing" from other failures. */
static int open_read(const char *dir, const char *file, char *path, size_t path_len, BIO **out,
                     char *err, size_t err_len)
{
    int rc = tnd__pki_path(path, path_len, dir, file, err, err_len);
    if (rc != 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? TND_ENOTFOUND : TND_EIO;
        tnd_tls_error(err, err_len, "cannot read %s: %s", path, strerror(errno));
        return rc;
    }
    *out = BIO_new_fd(fd, BIO_CLOSE);
    if (!*out) {
        close(fd);
        tnd_tls_error(err, err_len, "cannot read %s", path);
        return TND_ENOMEM;
    }
    return 0;
}

static void *parse_cert(BIO *bio)
{
    return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

static void *parse_key(BIO *bio)
{
    return PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
}

static void *parse_crl(BIO *bio)
{
    return PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
}

/* Reads dir/file and parses it with `parse`; `what` names the object in the error. */
static int read_pem(const char *dir, const char *file, void *(*parse)(BIO *), const char *what,
                    void **out, char *err, size_t err_len)
{
    char path[PKI_PATH_MAX];
    BIO *bio = NULL;
    int rc = open_read(dir, file, path, sizeof path, &bio, err, err_len);
    if (rc != 0)
        return rc;
    *out = parse(bio);
    BIO_free(bio);
    if (!*out) {
        tnd_tls_error(err, err_len, "cannot parse %s %s", what, path);
        return TND_EIO;
    }
    return 0;
}

int tnd__pki_read_cert(const char *dir, const char *file, X509 **out, char *err, size_t err_len)
{
    void *obj = NULL;
    int rc = read_pem(dir, file, parse_cert, "certificate", &obj, err, err_len);
    *out = obj;
    return rc;
}

int tnd__pki_read_key(const char *dir, const char *file, EVP_PKEY **out, char *err, size_t err_len)
{
    void *obj = NULL;
    int rc = read_pem(dir, file, parse_key, "private key", &obj, err, err_len);
    *out = obj;
    return rc;
}

int tnd__pki_read_crl(const char *dir, const char *file, X509_CRL **out, char *err, size_t err_len)
{
    void *obj = NULL;
    int rc = read_pem(dir, file, parse_crl, "CRL", &obj, err, err_len);
    *out = obj;
    return rc;
}

bool tnd__pki_exists(const char *dir, const char *file)
{
    char path[PKI_PATH_MAX];
    struct stat st;
    if (tnd__pki_path(path, sizeof path, dir, file, NULL, 0) != 0)
        return false;
    return lstat(path, &st) == 0;
}

void tnd__pki_remove(const char *dir, const char *file)
{
    char path[PKI_PATH_MAX];
    if (tnd__pki_path(path, sizeof path, dir, file, NULL, 0) == 0)
        unlink(path);
}
