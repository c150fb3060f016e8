/* tenderctl keys gen: a committee member's X25519 key pair, and reading
 * such a private key back (for `tenderctl open`). The private key is a PEM
 * PKCS#8 file (-----BEGIN PRIVATE KEY-----, OpenSSL's X25519 form, readable
 * by `openssl pkey`), mode 0600; the public key is base64 of its 32 bytes,
 * the text a committee file lists. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bid_cmd.h"
#include "commands/commands.h"
#include "tender/sealed.h"

#define MAX_NAME 64

/* A file name NAME.key must stay in its folder and be a plausible CN. */
static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= MAX_NAME && name[0] != '.' &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The PEM text of an X25519 private key, in a memory BIO. */
static BIO *pem_of(const uint8_t sk[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32);
    BIO *b = k ? BIO_new(BIO_s_secmem()) : NULL;
    if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(b);
        b = NULL;
    }
    EVP_PKEY_free(k);
    return b;
}

typedef struct gen_opts {
    const char *dir;
} gen_opts;

static int keys_gen(ctl_global *g, const ctl_call *c)
{
    const gen_opts *o = c->opts;
    const char *dir = o->dir ? o->dir : ".";
    const char *const *pos = c->pos;
    int rc;
    if (c->n_pos != 1 || !name_ok(pos[0])) {
        ctl_err("keys gen: give NAME, 1 to %d of A-Z a-z 0-9 _ . - not starting with a dot "
                "(the member's certificate CN)",
                MAX_NAME);
        return CTL_EXIT_USAGE;
    }
    char key_file[4096], pub_file[4096];
    if (snprintf(key_file, sizeof key_file, "%s/%s.key", dir, pos[0]) >= (int)sizeof key_file ||
        snprintf(pub_file, sizeof pub_file, "%s/%s.pub", dir, pos[0]) >= (int)sizeof pub_file) {
        ctl_err("keys gen: --dir %s: the path is too long", dir);
        return CTL_EXIT_USAGE;
    }
    if ((rc = ctl_dir_private(dir)) != 0)
        return rc;
    const char *files[] = {key_file, pub_file};
    for (int i = 0; i < 2; i++)
        if (access(files[i], F_OK) == 0) {
            ctl_err("keys gen: %s exists; it is never overwritten (remove it or pick another "
                    "NAME)",
                    files[i]);
            return CTL_EXIT_FAIL;
        }
    uint8_t sk[32], pk[32];
    char pub[48], line[50];
    if (tnd_x25519_keygen(sk, pk) != 0) {
        ctl_err("keys gen: cannot make a key (OpenSSL failed)");
        return CTL_EXIT_FAIL;
    }
    BIO *pem = pem_of(sk);
    OPENSSL_cleanse(sk, sizeof sk);
    if (!pem) {
        ctl_err("keys gen: cannot encode the key (OpenSSL failed)");
        return CTL_EXIT_FAIL;
    }
    char *text;
    long len = BIO_get_mem_data(pem, &text);
    rc = ctl_file_write(key_file, text, (size_t)len, 0600, false);
    BIO_free(pem); /* a secure-heap BIO: wiped when freed */
    if (rc != 0)
        return rc;
    ctl_base64_encode(pk, 32, pub);
    snprintf(line, sizeof line, "%s\n", pub);
    if ((rc = ctl_file_write(pub_file, line, strlen(line), 0644, false)) != 0)
        return rc;
    if (g->json) {
        ctl_json_print(json_pack("{s:o,s:s,s:o,s:o}", "name", ctl_json_str(pos[0]), "public_key",
                                 pub, "key_file", ctl_json_str(key_file), "pub_file",
                                 ctl_json_str(pub_file)));
    } else {
        printf("%s\n", pub);
        printf("private key: %s (keep it secret)\npublic key:  %s\n", key_file, pub_file);
        printf("committee line: %s %s\n", pos[0], pub);
    }
    return 0;
}

int ctl_x25519_key_read(const char *cmd, const char *path, uint8_t sk[32], uint8_t pk[32])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        ctl_err("%s: %s: %s", cmd, path, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    size_t len = 32;
    int rc = 0;
    if (!k) {
        ctl_err("%s: %s is not a PEM private key (make one with `tenderctl keys gen`)", cmd, path);
        rc = CTL_EXIT_USAGE;
    } else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_X25519) {
        ctl_err("%s: %s is not an X25519 key%s: give the member key `tenderctl keys gen` made", cmd,
                path,
                EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? " (an Ed25519 certificate key?)"
                                                            : "");
        rc = CTL_EXIT_USAGE;
    } else if (EVP_PKEY_get_raw_private_key(k, sk, &len) != 1 || len != 32 ||
               tnd_x25519_public(sk, pk) != 0) {
        OPENSSL_cleanse(sk, 32);
        ctl_err("%s: cannot read the key in %s (OpenSSL failed)", cmd, path);
        rc = CTL_EXIT_FAIL;
    }
    EVP_PKEY_free(k);
    return rc;
}

static const ctl_optdef gen_optdefs[] = {
    {.name = "--dir", .kind = CTL_DIR, .at = offsetof(gen_opts, dir), .arg = "_DIR_",
     .help = "Where to write the files (default: the current folder; made 0700 when missing)."},
    {0},
};

static const ctl_cmd gen_cmd = {
    .name = "gen",
    .synopsis = "_NAME_ [*--dir* _DIR_]",
    .summary = "a committee member's X25519 key pair (NAME.key, NAME.pub)",
    .about = "A committee member's X25519 key pair: _NAME_.key (PEM, PKCS#8, readable by\n"
             "*openssl pkey*, mode 0600: keep it secret and safe, it decrypts the member's share\n"
             "of every tender it is named in) and _NAME_.pub (base64 of the 32-byte public key\n"
             "and a newline), in _DIR_ (default: the current folder; made 0700 when missing).\n"
             "Prints the public key, the text that goes after _NAME_ in a committee file\n"
             "(*tender create --committee*). _NAME_ should be the member's certificate CN: the\n"
             "server takes a member's share only from the certificate with that CN. Neither file\n"
             "is ever overwritten. *--json* prints {\"name\", \"public_key\", \"key_file\",\n"
             "\"pub_file\"}.",
    .opts = gen_optdefs,
    .opts_size = sizeof(gen_opts),
    .max_pos = 1,
    .run = keys_gen,
};

const ctl_cmd ctl_cmd_keys = {
    .name = "keys",
    .summary = "a committee member's X25519 key pair",
    .subs = (const ctl_cmd *const[]){&gen_cmd, NULL},
};
