/* Witness policies (C2SP tlog-policy): which witnesses a client trusts and
 * how many of them must have cosigned a checkpoint before it counts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "note_internal.h"
#include "tender/witness.h"

#define MAX_FIELDS (3 + 2 * TND_POLICY_MAX)
#define GROUP_REF(g) (TND_POLICY_MAX + (int)(g))

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* The index a name refers to (witness i or GROUP_REF(g)), or -1. */
static int lookup(const tnd_policy *p, const char *name)
{
    for (size_t i = 0; i < p->n_witnesses; i++)
        if (strcmp(p->witnesses[i].name, name) == 0)
            return (int)i;
    for (size_t g = 0; g < p->n_groups; g++)
        if (strcmp(p->groups[g].name, name) == 0)
            return GROUP_REF(g);
    return -1;
}

static int same_key(const tnd_note_verifier *a, const tnd_note_verifier *b)
{
    return memcmp(a->key, b->key, sizeof a->key) == 0;
}

/* A policy name: what tlog-policy allows (any non-blank octets) within our
 * bounds; "none" is reserved. */
static int check_new_name(const tnd_policy *p, const char *name, unsigned line, char *err,
                          size_t err_len)
{
    if (strlen(name) > TND_NOTE_MAX_NAME)
        return fail(err, err_len, TND_EMALFORMED, "line %u: the name %.40s... is too long", line,
                    name);
    if (strcmp(name, "none") == 0)
        return fail(err, err_len, TND_EMALFORMED, "line %u: \"none\" is reserved for the quorum",
                    line);
    if (lookup(p, name) >= 0)
        return fail(err, err_len, TND_EMALFORMED, "line %u: %s is defined twice", line, name);
    return 0;
}

static int copy_url(char *dst, const char *url, unsigned line, char *err, size_t err_len)
{
    if (url == NULL) {
        dst[0] = '\0';
        return 0;
    }
    if (strlen(url) >= TND_POLICY_URL_MAX)
        return fail(err, err_len, TND_EMALFORMED, "line %u: the URL is longer than %d bytes", line,
                    TND_POLICY_URL_MAX - 1);
    strcpy(dst, url);
    return 0;
}

static int parse_log(tnd_policy *p, char **f, size_t n, unsigned line, char *err, size_t err_len)
{
    if (n < 2 || n > 3)
        return fail(err, err_len, TND_EMALFORMED, "line %u: write \"log VKEY [URL]\"", line);
    if (p->n_logs == TND_POLICY_MAX)
        return fail(err, err_len, TND_ELIMIT, "line %u: more than %d logs", line, TND_POLICY_MAX);
    tnd_note_verifier v;
    if (tnd_note_verifier_parse(f[1], &v) != 0)
        return fail(err, err_len, TND_EMALFORMED,
                    "line %u: %s is not a log verifier key (name+keyid+base64, type 0x01)", line,
                    f[1]);
    for (size_t i = 0; i < p->n_logs; i++)
        if (same_key(&p->logs[i], &v))
            return fail(err, err_len, TND_EMALFORMED, "line %u: the log key is listed twice", line);
    int rc = copy_url(p->log_urls[p->n_logs], n == 3 ? f[2] : NULL, line, err, err_len);
    if (rc != 0)
        return rc;
    p->logs[p->n_logs++] = v;
    return 0;
}

static int add_witness(tnd_policy *p, const char *name, const char *vkey, const char *url,
                       unsigned line, char *err, size_t err_len)
{
    if (p->n_witnesses == TND_POLICY_MAX)
        return fail(err, err_len, TND_ELIMIT, "line %u: more than %d witnesses", line,
                    TND_POLICY_MAX);
    int rc = check_new_name(p, name, line, err, err_len);
    if (rc != 0)
        return rc;
    tnd_policy_witness *w = &p->witnesses[p->n_witnesses];
    if (tnd_cosigner_parse(vkey, &w->key) != 0)
        return fail(err, err_len, TND_EMALFORMED,
                    "line %u: %s is not a witness key (name+keyid+base64 of type 0x04, as "
                    "tenderwitness --print-key prints)",
                    line, vkey);
    for (size_t i = 0; i < p->n_witnesses; i++)
        if (same_key(&p->witnesses[i].key, &w->key))
            return fail(err, err_len, TND_EMALFORMED,
                        "line %u: the key of %s is also the key of %s", line, name,
                        p->witnesses[i].name);
    rc = copy_url(w->url, url, line, err, err_len);
    if (rc != 0)
        return rc;
    strcpy(w->name, name);
    p->n_witnesses++;
    return 0;
}

static int parse_group(tnd_policy *p, char **f, size_t n, unsigned line, char *err, size_t err_len)
{
    if (n < 4)
        return fail(err, err_len, TND_EMALFORMED,
                    "line %u: write \"group NAME all|any|K MEMBER...\"", line);
    if (p->n_groups == TND_POLICY_MAX)
        return fail(err, err_len, TND_ELIMIT, "line %u: more than %d groups", line, TND_POLICY_MAX);
    int rc = check_new_name(p, f[1], line, err, err_len);
    if (rc != 0)
        return rc;
    tnd_policy_group *g = &p->groups[p->n_groups];
    memset(g, 0, sizeof *g);
    g->n = n - 3;
    for (size_t i = 0; i < g->n; i++) {
        int ref = lookup(p, f[3 + i]);
        if (ref < 0)
            return fail(err, err_len, TND_EMALFORMED,
                        "line %u: %s is not a witness or group defined above", line, f[3 + i]);
        for (size_t j = 0; j < i; j++)
            if (g->members[j] == ref)
                return fail(err, err_len, TND_EMALFORMED, "line %u: %s is listed twice", line,
                            f[3 + i]);
        g->members[i] = (uint16_t)ref;
    }
    if (strcmp(f[2], "all") == 0) {
        g->k = (unsigned)g->n;
    } else if (strcmp(f[2], "any") == 0) {
        g->k = 1;
    } else {
        char *endp;
        unsigned long k = strtoul(f[2], &endp, 10);
        if (f[2][0] < '0' || f[2][0] > '9' || *endp != '\0' || k < 1 || k > g->n)
            return fail(err, err_len, TND_EMALFORMED,
                        "line %u: the threshold %s is not all, any or a number from 1 to %zu", line,
                        f[2], g->n);
        g->k = (unsigned)k;
    }
    strcpy(g->name, f[1]);
    p->n_groups++;
    return 0;
}

/* Split line (modified in place) at spaces and tabs. */
static size_t split(char *line, char **f, size_t cap)
{
    size_t n = 0;
    char *s = line;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            return n;
        if (n == cap)
            return cap + 1;
        f[n++] = s;
        while (*s != '\0' && *s != ' ' && *s != '\t')
            s++;
        if (*s != '\0')
            *s++ = '\0';
    }
}

int tnd_policy_parse(const char *text, size_t len, tnd_policy *out, char *err, size_t err_len)
{
    if (text == NULL || out == NULL)
        return TND_EINVAL;
    tnd_policy *p = calloc(1, sizeof *p);
    char *buf = malloc(len + 1);
    int rc = 0, have_quorum = 0;
    unsigned line = 0;
    if (p == NULL || buf == NULL) {
        rc = TND_ENOMEM;
        goto out;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    p->quorum = -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            rc = fail(err, err_len, TND_EMALFORMED,
                      "byte %zu is a control character (only tab and newline are allowed)", i);
            goto out;
        }
    }
    for (char *s = buf; s != NULL && *s != '\0' && rc == 0;) {
        char *nl = strchr(s, '\n');
        if (nl != NULL)
            *nl = '\0';
        line++;
        char *f[MAX_FIELDS];
        size_t n = split(s, f, MAX_FIELDS);
        s = nl != NULL ? nl + 1 : NULL;
        if (n == 0 || f[0][0] == '#')
            continue;
        if (n > MAX_FIELDS) {
            rc = fail(err, err_len, TND_ELIMIT, "line %u: too many fields", line);
        } else if (strcmp(f[0], "log") == 0) {
            rc = parse_log(p, f, n, line, err, err_len);
        } else if (strcmp(f[0], "witness") == 0) {
            if (n < 3 || n > 4)
                rc = fail(err, err_len, TND_EMALFORMED,
                          "line %u: write \"witness NAME VKEY [URL]\"", line);
            else
                rc = add_witness(p, f[1], f[2], n == 4 ? f[3] : NULL, line, err, err_len);
        } else if (strcmp(f[0], "group") == 0) {
            rc = parse_group(p, f, n, line, err, err_len);
        } else if (strcmp(f[0], "quorum") == 0) {
            if (have_quorum)
                rc = fail(err, err_len, TND_EMALFORMED, "line %u: a second quorum line", line);
            else if (n != 2)
                rc = fail(err, err_len, TND_EMALFORMED, "line %u: write \"quorum NAME\"", line);
            else if (strcmp(f[1], "none") == 0)
                p->quorum = -1, have_quorum = 1;
            else if ((p->quorum = lookup(p, f[1])) < 0)
                rc = fail(err, err_len, TND_EMALFORMED,
                          "line %u: %s is not a witness or group defined above", line, f[1]);
            else
                have_quorum = 1;
        } else {
            rc = fail(err, err_len, TND_EMALFORMED,
                      "line %u: %s is not log, witness, group or quorum", line, f[0]);
        }
    }
    if (rc == 0 && !have_quorum)
        rc = fail(err, err_len, TND_EMALFORMED,
                  "the policy has no quorum line (write \"quorum NAME\" or \"quorum none\")");
    if (rc == 0)
        *out = *p;
out:
    free(buf);
    free(p);
    return rc;
}

int tnd_policy_from_keys(const char *const *vkeys, size_t n, unsigned k, tnd_policy *out, char *err,
                         size_t err_len)
{
    if (out == NULL || (n > 0 && vkeys == NULL))
        return TND_EINVAL;
    if (n > TND_POLICY_MAX)
        return fail(err, err_len, TND_ELIMIT, "more than %d witness keys", TND_POLICY_MAX);
    if (k > n)
        return fail(err, err_len, TND_EMALFORMED,
                    "the threshold %u is more than the %zu witness keys given", k, n);
    tnd_policy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return TND_ENOMEM;
    p->quorum = -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        tnd_note_verifier v;
        if (tnd_cosigner_parse(vkeys[i], &v) != 0) {
            rc = fail(err, err_len, TND_EMALFORMED,
                      "%s is not a witness key (name+keyid+base64 of type 0x04, as "
                      "tenderwitness --print-key prints)",
                      vkeys[i]);
            break;
        }
        rc = add_witness(p, v.name, vkeys[i], NULL, (unsigned)i + 1, err, err_len);
        if (rc != 0)
            rc = fail(err, err_len, TND_EMALFORMED, "the witness key %s is given twice", vkeys[i]);
    }
    if (rc == 0 && n > 0) {
        tnd_policy_group *g = &p->groups[0];
        strcpy(g->name, "witnesses");
        g->n = n;
        g->k = k == 0 ? (unsigned)n : k;
        for (size_t i = 0; i < n; i++)
            g->members[i] = (uint16_t)i;
        p->n_groups = 1;
        p->quorum = GROUP_REF(0);
    }
    if (rc == 0)
        *out = *p;
    free(p);
    return rc;
}

bool tnd_policy_is_none(const tnd_policy *p)
{
    return p == NULL || p->quorum < 0;
}

/* Whether ref (a witness or group) has witnessed, given who cosigned.
 * Groups refer only to earlier definitions, so this ends. */
static bool witnessed(const tnd_policy *p, int ref, const bool *cosigned)
{
    if (ref < TND_POLICY_MAX)
        return cosigned[ref];
    const tnd_policy_group *g = &p->groups[ref - TND_POLICY_MAX];
    unsigned have = 0;
    for (size_t i = 0; i < g->n; i++)
        have += witnessed(p, g->members[i], cosigned);
    return have >= g->k;
}

/* The names of the witnesses whose cosigned[i] is want, comma separated. */
static void list_names(const tnd_policy *p, const bool *cosigned, bool want, const int *bad,
                       char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->n_witnesses; i++) {
        if (cosigned[i] != want)
            continue;
        int k = snprintf(out + n, cap - n, "%s%s%s", n ? ", " : "", p->witnesses[i].name,
                         !want && bad[i] ? " (its cosignature does not verify)" : "");
        if (k < 0 || (size_t)k >= cap - n)
            return;
        n += (size_t)k;
    }
    if (n == 0)
        snprintf(out, cap, "none");
}

static void describe(const tnd_policy *p, int ref, char *out, size_t cap)
{
    if (ref < TND_POLICY_MAX) {
        snprintf(out, cap, "the cosignature of %s", p->witnesses[ref].name);
        return;
    }
    const tnd_policy_group *g = &p->groups[ref - TND_POLICY_MAX];
    size_t n = (size_t)snprintf(out, cap, "%u of ", g->k);
    for (size_t i = 0; i < g->n && n < cap; i++) {
        int m = g->members[i];
        int k = snprintf(out + n, cap - n, "%s%s", i ? ", " : "",
                         m < TND_POLICY_MAX ? p->witnesses[m].name
                                            : p->groups[m - TND_POLICY_MAX].name);
        if (k < 0)
            return;
        n += (size_t)k;
    }
}

int tnd_policy_check(const tnd_policy *p, const char *note, size_t len, bool *cosigned_out,
                     uint64_t *times, char *err, size_t err_len)
{
    if (p == NULL || note == NULL)
        return TND_EINVAL;
    bool cosigned[TND_POLICY_MAX] = {0};
    int bad[TND_POLICY_MAX] = {0};
    for (size_t i = 0; i < p->n_witnesses; i++) {
        uint64_t ts = 0;
        int rc = tnd_cosig_verify(note, len, &p->witnesses[i].key, &ts);
        if (rc == TND_EMALFORMED || rc == TND_ENOMEM || rc == TND_EINVAL)
            return fail(err, err_len, rc, "the checkpoint note is malformed");
        cosigned[i] = rc == 0;
        bad[i] = rc == TND_ECRYPTO;
        if (cosigned_out != NULL)
            cosigned_out[i] = cosigned[i];
        if (times != NULL)
            times[i] = cosigned[i] ? ts : 0;
    }
    if (p->quorum < 0 || witnessed(p, p->quorum, cosigned))
        return 0;
    char need[512], have[512], missing[1024];
    describe(p, p->quorum, need, sizeof need);
    list_names(p, cosigned, true, bad, have, sizeof have);
    list_names(p, cosigned, false, bad, missing, sizeof missing);
    return fail(err, err_len, TND_EQUORUM, "needs %s; cosigned by: %s; missing: %s", need, have,
                missing);
}
