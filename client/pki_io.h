/* Files of the developer PKI: PEM objects written atomically with the right
 * mode, and read back with messages that name the file. Internal to
 * client/pki*.c. */
#ifndef TND_PKI_IO_H
#define TND_PKI_IO_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes one object as PEM to a BIO; returns 1 on success (OpenSSL style). */
typedef int (*tnd__pki_emit_fn)(BIO *bio, const void *obj);

int tnd__pki_emit_cert(BIO *bio, const void *x509);
int tnd__pki_emit_key(BIO *bio, const void *pkey);
int tnd__pki_emit_crl(BIO *bio, const void *crl);

/* dir + "/" + file into buf; TND_EINVAL (with a message) when it does not fit. */
int tnd__pki_path(char *buf, size_t buf_len, const char *dir, const char *file, char *err,
                  size_t err_len);

/* Write dir/file through a temporary name created with mode, fsync, then
 * move it in place. With no_replace an existing file is kept and the call
 * fails with TND_EEXISTS. */
int tnd__pki_write(const char *dir, const char *file, mode_t mode, bool no_replace,
                   tnd__pki_emit_fn emit, const void *obj, char *err, size_t err_len);

/* Read one PEM object from dir/file. TND_ENOTFOUND when the file does not
 * exist, TND_EIO when it cannot be read or parsed. */
int tnd__pki_read_cert(const char *dir, const char *file, X509 **out, char *err, size_t err_len);
int tnd__pki_read_key(const char *dir, const char *file, EVP_PKEY **out, char *err, size_t err_len);
int tnd__pki_read_crl(const char *dir, const char *file, X509_CRL **out, char *err, size_t err_len);

/* True when dir/file exists (as anything). */
bool tnd__pki_exists(const char *dir, const char *file);

/* Remove dir/file, ignoring errors: used to roll back a failed operation. */
void tnd__pki_remove(const char *dir, const char *file);

#endif
