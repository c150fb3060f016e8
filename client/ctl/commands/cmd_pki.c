/* tenderctl pki init DIR / pki issue DIR NAME --role ROLE --org ORG [--days N] /
 * pki revoke DIR NAME: the development PKI (tender/pki.h). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/ctl.h"
#include "commands.h"
#include "tender/pki.h"

static const char *const init_files[] = {
    "ca.crt",       "ca.key",       "server.crt",    "server.key",
    "officer.crt",  "officer.key",  "officer2.crt",  "officer2.key",
    "supplier.crt", "supplier.key", "supplier2.crt", "supplier2.key",
    "auditor.crt",  "auditor.key",  "admin.crt",     "admin.key",
    "reviewer.crt", "reviewer.key",
};

/* Print the files of list that exist in dir. */
static void print_files(const ctl_global *g, const char *dir, const char *const *list, size_t n)
{
    char path[PATH_MAX];
    struct stat sb;
    json_t *paths = g->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, list[i]) >= sizeof path ||
            stat(path, &sb) != 0)
            continue;
        if (g->json)
            json_array_append_new(paths, ctl_json_str(path));
        else
            printf("%s\n", path);
    }
    if (g->json)
        ctl_json_print(paths);
}

static int pki_init(ctl_global *g, const ctl_call *c)
{
    char err[512];
    if (c->n_pos != 1) {
        ctl_err("pki init takes exactly DIR (see tenderctl pki --help)");
        return CTL_EXIT_USAGE;
    }
    if (tnd_pki_init(c->pos[0], err, sizeof err) != 0) {
        ctl_err("pki init %s: %s", c->pos[0], err);
        return CTL_EXIT_FAIL;
    }
    print_files(g, c->pos[0], init_files, sizeof init_files / sizeof *init_files);
    return CTL_EXIT_OK;
}

typedef struct issue_opts {
    const char *role, *org, *days;
} issue_opts;

static int pki_issue(ctl_global *g, const ctl_call *c)
{
    const issue_opts *o = c->opts;
    const char *const *pos = c->pos;
    char err[512];
    int days = 0;
    if (o->days) {
        char *end;
        errno = 0;
        long d = strtol(o->days, &end, 10);
        if (errno || end == o->days || *end || d < 1 || d > TND_PKI_MAX_DAYS) {
            ctl_err("pki: --days %s: expected a whole number from 1 to %d", o->days,
                    TND_PKI_MAX_DAYS);
            return CTL_EXIT_USAGE;
        }
        days = (int)d;
    }
    if (c->n_pos != 2 || !o->role || !o->org) {
        ctl_err("pki issue needs DIR NAME --role ROLE --org ORG (see tenderctl pki --help)");
        return CTL_EXIT_USAGE;
    }
    if (tnd_pki_issue(pos[0], pos[1], o->role, o->org, days, err, sizeof err) != 0) {
        ctl_err("pki issue %s: %s", pos[1], err);
        return CTL_EXIT_FAIL;
    }
    char crt[TND_PKI_MAX_NAME + 8], key[TND_PKI_MAX_NAME + 8];
    snprintf(crt, sizeof crt, "%s.crt", pos[1]);
    snprintf(key, sizeof key, "%s.key", pos[1]);
    const char *const files[] = {crt, key};
    print_files(g, pos[0], files, 2);
    return CTL_EXIT_OK;
}

static int pki_revoke(ctl_global *g, const ctl_call *c)
{
    char err[512];
    if (c->n_pos != 2) {
        ctl_err("pki revoke takes exactly DIR NAME (see tenderctl pki --help)");
        return CTL_EXIT_USAGE;
    }
    if (tnd_pki_revoke(c->pos[0], c->pos[1], err, sizeof err) != 0) {
        ctl_err("pki revoke %s: %s", c->pos[1], err);
        return CTL_EXIT_FAIL;
    }
    const char *const files[] = {"ca.crl"};
    print_files(g, c->pos[0], files, 1);
    return CTL_EXIT_OK;
}

static const ctl_cmd init_cmd = {
    .name = "init",
    .synopsis = "_DIR_",
    .summary = "create a development PKI (CA, server, identities)",
    .about = "Create a development PKI in _DIR_ (made 0700 if missing): *ca.crt*/*ca.key*,\n"
             "*server.crt*/*server.key* (localhost, 127.0.0.1, ::1) and the identities officer,\n"
             "officer2, supplier, supplier2, auditor, admin and reviewer. Keys are Ed25519\n"
             "and unencrypted: for development and tests only. An existing PKI is never overwritten.\n"
             "Prints the files written (a JSON array with *--json*).",
    .max_pos = 1,
    .pos_kind = CTL_DIR,
    .run = pki_init,
};

static const ctl_optdef issue_optdefs[] = {
    {.name = "--role", .kind = CTL_STRING, .at = offsetof(issue_opts, role), .arg = "_ROLE_",
     .help = "*officer*, *supplier*, *auditor*, *admin* or *reviewer*.",
     .values = "officer supplier auditor admin reviewer"},
    {.name = "--org", .kind = CTL_STRING, .at = offsetof(issue_opts, org), .arg = "_ORG_",
     .help = "The organisation (subject O)."},
    {.name = "--days", .kind = CTL_STRING, .at = offsetof(issue_opts, days), .arg = "_N_",
     .help = "Days of validity (default 365, at most 3650)."},
    {0},
};

static const ctl_cmd issue_cmd = {
    .name = "issue",
    .synopsis = "_DIR_ _NAME_ *--role* _ROLE_ *--org* _ORG_ [*--days* _N_]",
    .summary = "issue an identity certificate",
    .about = "Issue _NAME_.crt and _NAME_.key signed by _DIR_/ca.key. _ROLE_ is *officer*,\n"
             "*supplier*, *auditor*, *admin* or *reviewer*; _ORG_ the organisation (subject O); _N_ days of\n"
             "validity (default 365, at most 3650). Prints the files written.",
    .opts = issue_optdefs,
    .opts_size = sizeof(issue_opts),
    .max_pos = 2,
    .pos_kind = CTL_DIR,
    .run = pki_issue,
};

static const ctl_cmd revoke_cmd = {
    .name = "revoke",
    .synopsis = "_DIR_ _NAME_",
    .summary = "revoke an identity certificate",
    .about = "Revoke _NAME_'s certificate: add it to _DIR_/ca.crl, made on first use and\n"
             "re-signed by _DIR_/ca.key (valid a year). Give the CRL to tenderd (*--crl*) and\n"
             "send it SIGHUP. Prints the file written.",
    .max_pos = 2,
    .pos_kind = CTL_DIR,
    .run = pki_revoke,
};

const ctl_cmd ctl_cmd_pki = {
    .name = "pki",
    .summary = "a development PKI: CA, server and identity certificates",
    .subs = (const ctl_cmd *const[]){&init_cmd, &issue_cmd, &revoke_cmd, NULL},
};
