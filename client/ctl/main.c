/* tenderctl: the command line client of tenderd. Global options and
 * dispatch; each command lives in its own cmd_*.c file. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char usage[] =
    "usage: tenderctl [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  health [--watch] [SERVICE]     is the server (or SERVICE) serving?\n"
    "  methods [SERVICE]              the methods the server offers\n"
    "  schema                         the schema text the server was built from\n"
    "  pki init DIR                   create a development PKI (CA, server, identities)\n"
    "  pki issue DIR NAME --role ROLE --org ORG [--days N]\n"
    "                                 issue an identity certificate\n"
    "  tender create|edit|publish|amend|cancel|show|list|documents|download ...\n"
    "                                 tenders (see tenderctl tender --help)\n"
    "  question ask|answer|list ...   questions about a tender and their answers\n"
    "  audit checkpoint|prove|consistency|log|watch|verify ...\n"
    "                                 verify the transparency log (see tenderctl audit --help)\n"
    "  keys gen NAME [--dir DIR]      a committee member's X25519 key pair\n"
    "  bid submit|replace|withdraw|status|receipt ...\n"
    "                                 sealed bids and their receipts (see tenderctl bid --help)\n"
    "  open TENDER --key FILE         give your committee share: open the bids\n"
    "  opening show TENDER            the opened bids\n"
    "  export ocds [--tender ID] [--since TIME] [--output FILE]\n"
    "                                 tenders as OCDS 1.1.5 open data (see export ocds --help)\n"
    "  award TENDER|show|cancel|unsuccessful ...\n"
    "                                 the award decision (see tenderctl award --help)\n"
    "  backup                         admin: a verified backup, kept on the server\n"
    "\n"
    "Options (before or after the command; flags win over the environment):\n"
    "  --server HOST:PORT   server address (env TENDER_SERVER; default 127.0.0.1:7443)\n"
    "  --ca FILE            CA certificate that issued the server's (env TENDER_CA)\n"
    "  --cert FILE          client certificate, for methods that need a role (env TENDER_CERT)\n"
    "  --key FILE           its private key (env TENDER_KEY)\n"
    "  --timeout SECONDS    deadline of each call, decimals allowed (default 30)\n"
    "  --log-key VKEY       the log's verifier key, for audit (env TENDER_LOG_KEY)\n"
    "  --request-id ID      x-request-id of every call, so the server's log shows them under\n"
    "                       ID (1 to 64 characters, no spaces; default a random id a call)\n"
    "  --json               machine-readable output\n"
    "  --help               this text; `tenderctl COMMAND --help` for one command\n"
    "\n"
    "Exit status: 0 success; 1 local failure (files, PKI); 2 bad usage;\n"
    "3 health answered other than SERVING; 4 a signature, proof, receipt or share did not\n"
    "verify;\n"
    "10 + N when a call ended with gRPC status N\n"
    "(e.g. 24 = 10 + UNAVAILABLE, 26 = 10 + UNAUTHENTICATED). Errors go to stderr as\n"
    "\"tenderctl: STATUS_NAME: message\".\n";

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int parse_timeout(const char *s, uint32_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 4000000.0)
        return -1;
    double m = v * 1000.0;
    *ms = m < 1 ? 1 : (uint32_t)m;
    return 0;
}

int ctl_global_option(ctl_global *g, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--server",  "--ca",      "--cert",      "--key",
                                        "--timeout", "--log-key", "--request-id"};
    const char *a = argv[*i];
    if (strcmp(a, "--json") == 0) {
        g->json = true;
        return 1;
    }
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        size_t n = strlen(names[k]);
        const char *val;
        if (strncmp(a, names[k], n) != 0 || (a[n] != '\0' && a[n] != '='))
            continue;
        if (a[n] == '=') {
            val = a + n + 1;
        } else {
            if (*i + 1 >= argc) {
                ctl_err("%s needs a value (see --help)", names[k]);
                return -1;
            }
            val = argv[++*i];
        }
        switch (k) {
        case 0: g->server = val; break;
        case 1: g->ca = val; break;
        case 2: g->cert = val; break;
        case 3: g->key = val; break;
        case 4:
            if (parse_timeout(val, &g->timeout_ms) != 0) {
                ctl_err("--timeout %s: expected a positive number of seconds", val);
                return -1;
            }
            g->timeout_given = true;
            break;
        case 5: g->log_key = val; break;
        case 6: g->request_id = val; break;
        }
        return 1;
    }
    return 0;
}

int ctl_connect(const ctl_global *g, tnd_client **out)
{
    char err[512];
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = g->server;
    o.ca_file = g->ca;
    o.cert_file = g->cert;
    o.key_file = g->key;
    o.timeout_ms = g->timeout_ms;
    o.request_id = g->request_id;
    if (!g->ca) {
        ctl_err("no CA certificate: give --ca FILE or set TENDER_CA");
        return CTL_EXIT_USAGE;
    }
    if (!g->cert != !g->key) {
        ctl_err("--cert and --key go together (or TENDER_CERT and TENDER_KEY)");
        return CTL_EXIT_USAGE;
    }
    int rc = tnd_client_open(&o, out, err, sizeof err);
    if (rc != 0) {
        ctl_err("%s", err);
        return rc == TND_EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    ctl_global g = {0};
    g.timeout_ms = 30000;
    /* A server that closes on us must be an error message, not a kill. */
    signal(SIGPIPE, SIG_IGN);
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return CTL_EXIT_OK;
        }
        if (a[0] != '-')
            break;
        int r = ctl_global_option(&g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r == 0) {
            ctl_err("unknown option %s (see --help)", a);
            return CTL_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return CTL_EXIT_USAGE;
    }
    /* The environment fills what the flags left open; flags before the
     * command are already in g, flags after it are read by the command and
     * override these too. */
    if (!g.server)
        g.server = env("TENDER_SERVER");
    if (!g.ca)
        g.ca = env("TENDER_CA");
    if (!g.cert)
        g.cert = env("TENDER_CERT");
    if (!g.key)
        g.key = env("TENDER_KEY");
    if (!g.log_key)
        g.log_key = env("TENDER_LOG_KEY");
    const char *cmd = argv[i];
    int cargc = argc - i;
    char **cargv = argv + i;
    if (strcmp(cmd, "health") == 0)
        return cmd_health(&g, cargc, cargv);
    if (strcmp(cmd, "methods") == 0)
        return cmd_methods(&g, cargc, cargv);
    if (strcmp(cmd, "schema") == 0)
        return cmd_schema(&g, cargc, cargv);
    if (strcmp(cmd, "pki") == 0)
        return cmd_pki(&g, cargc, cargv);
    if (strcmp(cmd, "tender") == 0)
        return cmd_tender(&g, cargc, cargv);
    if (strcmp(cmd, "question") == 0)
        return cmd_question(&g, cargc, cargv);
    if (strcmp(cmd, "audit") == 0)
        return cmd_audit(&g, cargc, cargv);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(&g, cargc, cargv);
    if (strcmp(cmd, "bid") == 0)
        return cmd_bid(&g, cargc, cargv);
    if (strcmp(cmd, "open") == 0)
        return cmd_open(&g, cargc, cargv);
    if (strcmp(cmd, "opening") == 0)
        return cmd_opening(&g, cargc, cargv);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(&g, cargc, cargv);
    if (strcmp(cmd, "award") == 0)
        return cmd_award(&g, cargc, cargv);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(&g, cargc, cargv);
    if (strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CTL_EXIT_OK;
    }
    ctl_err("unknown command \"%s\" (see --help)", cmd);
    return CTL_EXIT_USAGE;
}
