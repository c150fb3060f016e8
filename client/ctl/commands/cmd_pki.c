/* tenderctl pki init DIR / pki issue DIR NAME --role ROLE --org ORG [--days N] /
 * pki revoke DIR NAME: the development PKI (tender/pki.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "tender/pki.h"

static const char pki_usage[] =
    "usage: tenderctl pki init DIR\n"
    "       tenderctl pki issue DIR NAME --role ROLE --org ORG [--days N]\n"
    "       tenderctl pki revoke DIR NAME\n"
    "\n"
    "init   create a development PKI in DIR (made 0700 if missing): ca.crt/ca.key,\n"
    "       server.crt/server.key (localhost, 127.0.0.1, ::1) and identities officer,\n"
    "       officer2, supplier, supplier2, auditor, admin. Keys are Ed25519, unencrypted:\n"
    "       for development only. Refuses to overwrite an existing PKI.\n"
    "issue  issue NAME.crt and NAME.key signed by DIR/ca.key; ROLE is officer,\n"
    "       supplier, auditor or admin; ORG the organisation (subject O); N days of\n"
    "       validity (default 365).\n"
    "revoke add NAME.crt to the CA's revocation list DIR/ca.crl (created on first use,\n"
    "       re-signed, valid a year); tenderd --crl DIR/ca.crl refuses it after SIGHUP.\n"
    "Prints the files written (a JSON array with --json). Exit status 1 on failure.\n";

static const char *const init_files[] = {
    "ca.crt",       "ca.key",       "server.crt",    "server.key",
    "officer.crt",  "officer.key",  "officer2.crt",  "officer2.key",
    "supplier.crt", "supplier.key", "supplier2.crt", "supplier2.key",
    "auditor.crt",  "auditor.key",  "admin.crt",     "admin.key",
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

int cmd_pki(ctl_global *g, int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL}, *role = NULL, *org = NULL;
    int n_pos = 0, days = 0;
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(pki_usage, stdout);
            return CTL_EXIT_OK;
        }
        if (strcmp(a, "--role") == 0 || strcmp(a, "--org") == 0 || strcmp(a, "--days") == 0) {
            if (i + 1 >= argc) {
                ctl_err("pki: %s needs a value", a);
                return CTL_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (a[2] == 'r') {
                role = v;
            } else if (a[2] == 'o') {
                org = v;
            } else {
                char *end;
                errno = 0;
                long d = strtol(v, &end, 10);
                if (errno || end == v || *end || d < 1 || d > TND_PKI_MAX_DAYS) {
                    ctl_err("pki: --days %s: expected a whole number from 1 to %d", v,
                            TND_PKI_MAX_DAYS);
                    return CTL_EXIT_USAGE;
                }
                days = (int)d;
            }
            continue;
        }
        int r = ctl_global_option(g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r > 0)
            continue;
        if (a[0] == '-' || n_pos == 3) {
            ctl_err("pki: unexpected argument \"%s\" (see tenderctl pki --help)", a);
            return CTL_EXIT_USAGE;
        }
        pos[n_pos++] = a;
    }
    if (n_pos >= 1 && strcmp(pos[0], "init") == 0) {
        if (n_pos != 2 || role || org || days) {
            ctl_err("pki init takes exactly DIR (see tenderctl pki --help)");
            return CTL_EXIT_USAGE;
        }
        if (tnd_pki_init(pos[1], err, sizeof err) != 0) {
            ctl_err("pki init %s: %s", pos[1], err);
            return CTL_EXIT_FAIL;
        }
        print_files(g, pos[1], init_files, sizeof init_files / sizeof *init_files);
        return CTL_EXIT_OK;
    }
    if (n_pos >= 1 && strcmp(pos[0], "issue") == 0) {
        if (n_pos != 3 || !role || !org) {
            ctl_err("pki issue needs DIR NAME --role ROLE --org ORG (see tenderctl pki --help)");
            return CTL_EXIT_USAGE;
        }
        if (tnd_pki_issue(pos[1], pos[2], role, org, days, err, sizeof err) != 0) {
            ctl_err("pki issue %s: %s", pos[2], err);
            return CTL_EXIT_FAIL;
        }
        char crt[TND_PKI_MAX_NAME + 8], key[TND_PKI_MAX_NAME + 8];
        snprintf(crt, sizeof crt, "%s.crt", pos[2]);
        snprintf(key, sizeof key, "%s.key", pos[2]);
        const char *const files[] = {crt, key};
        print_files(g, pos[1], files, 2);
        return CTL_EXIT_OK;
    }
    if (n_pos >= 1 && strcmp(pos[0], "revoke") == 0) {
        if (n_pos != 3 || role || org || days) {
            ctl_err("pki revoke takes exactly DIR NAME (see tenderctl pki --help)");
            return CTL_EXIT_USAGE;
        }
        if (tnd_pki_revoke(pos[1], pos[2], err, sizeof err) != 0) {
            ctl_err("pki revoke %s: %s", pos[2], err);
            return CTL_EXIT_FAIL;
        }
        const char *const files[] = {"ca.crl"};
        print_files(g, pos[1], files, 1);
        return CTL_EXIT_OK;
    }
    ctl_err("pki: expected \"init DIR\", \"issue DIR NAME ...\" or \"revoke DIR NAME\" (see "
            "tenderctl pki --help)");
    return CTL_EXIT_USAGE;
}
