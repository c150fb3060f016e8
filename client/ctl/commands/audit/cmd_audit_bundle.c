/* tenderctl audit bundle: one tender's public record and the keys used, in
 * one file (tender/bundle.h, docs/AUDIT.md "Evidence bundles"); and audit
 * verify --bundle: every check of audit verify from that file alone, with
 * no connection at all. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "audit_cmd.h"
#include "tender/bundle.h"
#include "tender/witness.h"

/* Largest CA certificate and revocation list files read (the bundle's limits). */
#define MAX_CA_FILE (1u << 20)
#define MAX_CRL_FILE (16u << 20)

typedef struct bundle_opts {
    const char *out, *checkpoint, *crl;
} bundle_opts;

/* Read a PEM file the user named (opt: the option, for messages) into *out. */
static int read_pem(const char *cmd, const char *opt, const char *file, size_t max, tnd_bytes *out)
{
    char *data;
    long n = ctl_file_read(file, &data, max);
    if (n < 0) {
        ctl_err("%s: %s %s: %s", cmd, opt, file,
                errno == EFBIG ? "too large for a bundle" : strerror(errno));
        return CTL_EXIT_FAIL;
    }
    *out = (tnd_bytes){(uint8_t *)data, (size_t)n};
    return 0;
}

/* The CA and CRL given (--ca, --crl) as text. */
static int read_trust(const char *cmd, const char *ca, const char *crl, tnd_bytes *ca_pem,
                      tnd_bytes *crl_pem)
{
    int rc = 0;
    if (ca && (rc = read_pem(cmd, "--ca", ca, MAX_CA_FILE, ca_pem)) != 0)
        return rc;
    if (crl && (rc = read_pem(cmd, "--crl", crl, MAX_CRL_FILE, crl_pem)) != 0)
        return rc;
    return 0;
}

/* Does the CA text load (so that a bundle never carries one that cannot)? */
static int check_trust(const char *cmd, const tnd_bytes *ca, const tnd_bytes *crl)
{
    tnd_bid_trust t = {0};
    char err[400];
    if (ca->len == 0)
        return 0;
    int rc = tnd_bid_trust_load_pem(&t, ca, crl, err, sizeof err);
    tnd_bid_trust_free(&t);
    if (rc == 0)
        return 0;
    ctl_err("%s: --ca: %s", cmd, err);
    return CTL_EXIT_FAIL;
}

static int audit_bundle(ctl_global *g, const ctl_call *call)
{
    const bundle_opts *opt = call->opts;
    if (call->n_pos != 1 || !opt->out) {
        ctl_err("audit bundle: give the TENDER id and --out FILE (see tenderctl audit bundle "
                "--help)");
        return CTL_EXIT_USAGE;
    }
    if (opt->crl && !g->ca) {
        ctl_err("audit bundle: --crl needs --ca, the CA whose revocation list it is");
        return CTL_EXIT_USAGE;
    }
    tnd_bytes ca = {0}, crl = {0};
    int rc = read_trust("audit bundle", g->ca, opt->crl, &ca, &crl);
    if (rc == 0)
        rc = check_trust("audit bundle", &ca, &crl);
    audit_ctx a = {0};
    audit_cp saved = {0};
    tnd_tender_record r;
    memset(&r, 0, sizeof r);
    if (rc == 0)
        rc = audit_open(g, &a);
    if (rc == 0 && opt->checkpoint)
        rc = audit_saved(&a, opt->checkpoint, &saved);
    tnd_status_info st;
    if (rc == 0 &&
        tnd_tender_record_fetch_all(a.c, call->pos[0], opt->checkpoint ? &saved.cp : NULL, a.policy,
                                    &r, &st) != 0)
        rc = ctl_status_fail(&st);
    uint8_t *data = NULL;
    size_t len = 0;
    char err[400];
    tnd_bundle_keys k = {.log_key = a.ls.vkey, .saved_note = saved.note, .ca = ca, .crl = crl};
    if (rc == 0 && tnd_bundle_write(&r, &k, &data, &len, err, sizeof err) != 0) {
        ctl_err("audit bundle: %s", err);
        rc = CTL_EXIT_FAIL;
    }
    if (rc == 0)
        rc = ctl_file_write(opt->out, data, len, 0644, true);
    if (rc == 0 && g->json)
        rc = ctl_json_print(json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "tender", r.tender_id,
                                      "bundle", opt->out, "bytes", (json_int_t)len,
                                      "checkpoint_size", (json_int_t)r.checkpoint.size, "events",
                                      (json_int_t)r.n_events, "log_key", a.ls.vkey)) == 0
                 ? 0
                 : CTL_EXIT_FAIL;
    else if (rc == 0)
        printf("wrote %s: tender %s, %zu event(s), %zu version(s), %zu document(s), %zu sealed "
               "bid(s), checkpoint of size %llu, %zu bytes\n",
               opt->out, r.tender_id, r.n_events, r.n_versions, r.n_documents, r.n_bids,
               (unsigned long long)r.checkpoint.size, len);
    free(data);
    tnd_tender_record_free(&r);
    audit_cp_free(&saved);
    audit_close(&a);
    free(ca.data);
    free(crl.data);
    return rc;
}

/* ---- verify --bundle ---- */

/* The log key: --log-key, or the bundle's own with a warning; and the
 * witness policy of the global options, which the checkpoint must meet. */
static int bundle_key(const ctl_global *g, const tnd_bundle *b, tnd_log_state *ls,
                      tnd_policy **policy, bool *own)
{
    int rc = ctl_witness_policy(g, policy);
    if (rc != 0)
        return rc;
    *own = !g->log_key;
    const char *key = g->log_key ? g->log_key : b->log_key;
    if (!*key) {
        ctl_err("audit verify: the bundle carries no log key: give --log-key (or "
                "TENDER_LOG_KEY)");
        return CTL_EXIT_USAGE;
    }
    if (tnd_log_state_init(ls, key) != 0) {
        ctl_err("audit verify: %s \"%.80s\" is not a verifier key (NAME+KEYID+BASE64, as "
                "`tenderd --print-log-key` prints it)",
                *own ? "the bundle's log key" : "--log-key:", key);
        return CTL_EXIT_USAGE;
    }
    tnd_log_state_set_policy(ls, *policy);
    if (*own)
        ctl_err("warning: the log key %s was taken from the bundle: compare it with the key the "
                "log's operator publishes, or pin it with --log-key (or TENDER_LOG_KEY)",
                ls->vkey);
    return 0;
}

/* The CA and CRL: --ca and --crl as given, else the bundle's (with a note). */
static int bundle_trust(const ctl_global *g, const verify_opts *opt, const tnd_bundle *b,
                        tnd_bid_trust *trust, bool *have)
{
    tnd_bytes ca = {0}, crl = {0};
    int rc = read_trust("audit verify", g->ca, opt->crl, &ca, &crl);
    const tnd_bytes *use_ca = g->ca ? &ca : &b->ca, *use_crl = opt->crl ? &crl : &b->crl;
    char err[400];
    *have = rc == 0 && use_ca->len > 0;
    if (*have && tnd_bid_trust_load_pem(trust, use_ca, use_crl, err, sizeof err) != 0) {
        ctl_err("audit verify: %s%s", g->ca ? "" : "the bundle's CA: ", err);
        rc = g->ca ? CTL_EXIT_FAIL : CTL_EXIT_USAGE;
        *have = false;
    }
    if (*have && (!g->ca || (!opt->crl && b->crl.len))) {
        uint8_t h[32];
        char hex[65];
        unsigned n = 0;
        const tnd_bytes *from = !g->ca ? &b->ca : &b->crl;
        if (EVP_Digest(from->data, from->len, h, &n, EVP_sha256(), NULL) == 1 && n == 32)
            ctl_err("warning: the %s was taken from the bundle (SHA-256 %s): compare it with the "
                    "published one, or give %s",
                    !g->ca ? "CA certificate" : "revocation list", ctl_hex(h, 32, hex),
                    !g->ca ? "--ca" : "--crl");
    }
    free(ca.data);
    free(crl.data);
    return rc;
}

/* The saved checkpoint: --checkpoint FILE, else the bundle's, verified with the key. */
static int bundle_saved(const tnd_log_state *ls, const verify_opts *opt, const tnd_bundle *b,
                        audit_cp *saved, bool *have)
{
    audit_ctx a = {.ls = *ls}; /* the key only: nothing connects */
    *have = opt->checkpoint || b->saved_note;
    if (opt->checkpoint)
        return audit_saved(&a, opt->checkpoint, saved);
    if (!b->saved_note)
        return 0;
    return audit_verify_note(&a, "the saved checkpoint in the bundle", b->saved_note,
                             strlen(b->saved_note), &saved->cp);
}

/* A whole regular file of at most TND_BUNDLE_MAX_SIZE bytes into *out
 * (malloc'd as large as the file, not the limit). 0, or -1 with errno. */
static int read_file_sized(const char *file, uint8_t **out, size_t *len)
{
    *out = NULL;
    FILE *f = fopen(file, "rb");
    struct stat sb;
    if (!f)
        return -1;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = fstat(fileno(f), &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        fclose(f);
        errno = e;
        return -1;
    }
    if ((uint64_t)sb.st_size > TND_BUNDLE_MAX_SIZE) {
        fclose(f);
        errno = EFBIG;
        return -1;
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *buf = malloc(size + 1); /* + 1: a file that grew is seen */
    size_t n = buf ? fread(buf, 1, size + 1, f) : 0;
    int bad = !buf ? ENOMEM : ferror(f) ? EIO : n != size ? EAGAIN : 0;
    fclose(f);
    if (bad) {
        free(buf);
        errno = bad == EAGAIN ? EIO : bad; /* it changed while read */
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

int audit_verify_bundle(ctl_global *g, const ctl_call *call)
{
    const verify_opts *opt = call->opts;
    if (call->n_pos > 1) {
        ctl_err("audit verify: --bundle takes at most the TENDER id it must hold");
        return CTL_EXIT_USAGE;
    }
    uint8_t *data = NULL;
    size_t n = 0;
    if (read_file_sized(opt->bundle, &data, &n) != 0) {
        ctl_err("audit verify: --bundle %s: %s", opt->bundle,
                errno == EFBIG ? "larger than a bundle may be (4 GiB)" : strerror(errno));
        return CTL_EXIT_FAIL;
    }
    tnd_bundle b;
    char err[600];
    int rc = 0;
    int read = tnd_bundle_read(data, n, &b, err, sizeof err);
    if (read != 0) { /* not a bundle this program reads: a data error, like a bad key file */
        ctl_err("audit verify: %s: %s", opt->bundle, err);
        rc = read == TND_ENOMEM ? CTL_EXIT_FAIL : CTL_EXIT_USAGE;
    }
    free(data);
    if (rc == 0 && call->n_pos == 1 && strcmp(call->pos[0], b.record.tender_id) != 0) {
        ctl_err("audit verify: %s holds tender %s, not %s", opt->bundle, b.record.tender_id,
                call->pos[0]);
        rc = CTL_EXIT_USAGE;
    }
    tnd_log_state ls;
    memset(&ls, 0, sizeof ls);
    bool own_key = false, have_trust = false, have_saved = false;
    tnd_bid_trust trust = {0};
    tnd_policy *policy = NULL;
    audit_cp saved = {0};
    if (rc == 0)
        rc = bundle_key(g, &b, &ls, &policy, &own_key);
    if (rc == 0)
        rc = bundle_trust(g, opt, &b, &trust, &have_trust);
    if (rc == 0)
        rc = bundle_saved(&ls, opt, &b, &saved, &have_saved);
    if (rc == 0) {
        b.record.trust = have_trust ? &trust : NULL;
        b.record.policy = policy;
        audit_from from = {.bundle = opt->bundle, .key_from_bundle = own_key};
        rc = audit_verify_report(g, &b.record, &ls.v, have_saved ? &saved.cp : NULL, &from);
    }
    audit_cp_free(&saved);
    tnd_bid_trust_free(&trust);
    tnd_log_state_free(&ls);
    free(policy);
    tnd_bundle_free(&b);
    return rc;
}

static const ctl_optdef bundle_optdefs[] = {
    {.name = "--out",
     .kind = CTL_FILE,
     .at = offsetof(bundle_opts, out),
     .arg = "_FILE_",
     .help = "Write the bundle to _FILE_ (replaced once complete)."},
    {.name = "--checkpoint",
     .kind = CTL_FILE,
     .at = offsetof(bundle_opts, checkpoint),
     .arg = "_FILE_",
     .help = "A checkpoint saved earlier (*audit checkpoint --save*): the bundle keeps it and\n"
             "the consistency proof from it to the latest."},
    {.name = "--crl",
     .kind = CTL_FILE,
     .at = offsetof(bundle_opts, crl),
     .arg = "_FILE_",
     .help = "The CA's revocation list (PEM), kept in the bundle beside the CA certificate of\n"
             "*--ca*."},
    {0},
};

const ctl_cmd audit_bundle_cmd = {
    .name = "bundle",
    .synopsis = "_TENDER_ *--out* _FILE_ [*--checkpoint* _FILE_] [*--crl* _FILE_]",
    .summary = "one tender's evidence in one file, to verify offline",
    .about = "Fetch everything *audit verify* checks about one tender and write it to one file,\n"
             "an evidence bundle (docs/AUDIT.md, \"Evidence bundles\"): the latest checkpoint\n"
             "note with every signature it carries, the tender's events (leaves as served) with\n"
             "their inclusion proofs, every published version, the answered questions, the\n"
             "documents' bytes, after the opening the sealed bids and the opening record, the\n"
             "award decisions, the auditor's fetch time, and the keys used: the log key, the CA\n"
             "certificate of *--ca* and the revocation list of *--crl*, and with *--checkpoint*\n"
             "the saved checkpoint and the consistency proof from it. *audit verify --bundle*\n"
             "_FILE_ checks it later with no server. Nothing is checked here but the saved\n"
             "checkpoint's signature. Prints what was written; *--json* prints {\"tender\",\n"
             "\"bundle\", \"bytes\", \"checkpoint_size\", \"events\", \"log_key\"}.",
    .opts = bundle_optdefs,
    .opts_size = sizeof(bundle_opts),
    .max_pos = 1,
    .run = audit_bundle,
};
