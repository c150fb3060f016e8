/* The witness policy of tenderctl's global options: a C2SP tlog-policy file
 * (--witness-policy FILE) or witness keys and a threshold (--witness VKEY
 * ..., --witness-threshold K), parsed by libtender (tender/witness.h). */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "tender/witness.h"

/* A policy file is a few lines per witness; 1 MiB is far beyond any. */
#define POLICY_FILE_MAX (1u << 20)

static int parse_threshold(const char *s, unsigned *k)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || v < 1 || v > TND_POLICY_MAX)
        return -1;
    *k = (unsigned)v;
    return 0;
}

int ctl_witness_policy(const ctl_global *g, tnd_policy **out)
{
    *out = NULL;
    bool file = g->witness_policy != NULL, keys = g->witnesses.n > 0;
    if (!file && !keys) {
        if (g->witness_threshold) {
            ctl_err("--witness-threshold: give the witnesses' keys with --witness VKEY");
            return CTL_EXIT_USAGE;
        }
        return 0;
    }
    if (file && keys) {
        ctl_err("--witness-policy and --witness: give the witnesses one way, not both");
        return CTL_EXIT_USAGE;
    }
    if (file && g->witness_threshold) {
        ctl_err("--witness-threshold: the policy file's quorum line says how many cosign");
        return CTL_EXIT_USAGE;
    }
    unsigned k = 0; /* all of them */
    if (g->witness_threshold && parse_threshold(g->witness_threshold, &k) != 0) {
        ctl_err("--witness-threshold: \"%.40s\" is not a number from 1 to %d", g->witness_threshold,
                TND_POLICY_MAX);
        return CTL_EXIT_USAGE;
    }
    tnd_policy *p = malloc(sizeof *p);
    if (!p)
        return ctl_oom();
    char err[512];
    int rc;
    if (file) {
        char *text = NULL;
        long n = ctl_file_read(g->witness_policy, &text, POLICY_FILE_MAX);
        if (n < 0) {
            free(p);
            ctl_err("--witness-policy: %s: cannot read it (or it is larger than 1 MiB)",
                    g->witness_policy);
            return CTL_EXIT_USAGE;
        }
        rc = tnd_policy_parse(text, (size_t)n, p, err, sizeof err);
        free(text);
        if (rc != 0) {
            free(p);
            ctl_err("--witness-policy: %s: %s", g->witness_policy, err);
            return CTL_EXIT_USAGE;
        }
    } else {
        rc = tnd_policy_from_keys(g->witnesses.v, g->witnesses.n, k, p, err, sizeof err);
        if (rc != 0) {
            free(p);
            ctl_err("--witness: %s", err);
            return CTL_EXIT_USAGE;
        }
    }
    *out = p;
    return 0;
}
