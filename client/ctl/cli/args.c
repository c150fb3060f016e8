/* The command line, read against the command table (cmd.h): walk down the groups
 * to a command, read its options by kind and the global options anywhere, then run
 * its handler with the values. Every usage error is exit 2 with a message that names
 * the command and points at its --help. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* "tenderctl: PATH: MESSAGE (see tenderctl PATH --help)", exit 2. */
static int usage_err(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_err(const char *path, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (*path)
        ctl_err("%s: %s (see tenderctl %s --help)", path, msg, path);
    else
        ctl_err("%s (see --help)", msg);
    return CTL_EXIT_USAGE;
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* The option of opts that a names ("--name", or "--name=value" when it takes a
 * value), with the inline value or NULL. */
static const ctl_optdef *find_opt(const ctl_optdef *opts, const char *a, const char **inline_val)
{
    for (const ctl_optdef *o = opts; o && o->name; o++) {
        size_t n = strlen(o->name);
        if (strncmp(a, o->name, n) != 0)
            continue;
        if (a[n] == '\0') {
            *inline_val = NULL;
            return o;
        }
        if (a[n] == '=' && o->kind != CTL_BOOL) {
            *inline_val = a + n + 1;
            return o;
        }
    }
    return NULL;
}

static int parse_seconds(const char *s, uint32_t *ms)
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

/* Store val as option o's value in base. Returns 0 or an exit code. */
static int store(const char *path, const ctl_optdef *o, void *base, const char *val)
{
    void *at = (char *)base + o->at;
    char err[200];
    switch (o->kind) {
    case CTL_STRING:
    case CTL_FILE:
    case CTL_DIR:
        *(const char **)at = val;
        return 0;
    case CTL_BOOL:
        *(bool *)at = true;
        return 0;
    case CTL_MONEY:
        ((ctl_money *)at)->text = val;
        return 0;
    case CTL_LIST: {
        ctl_list *l = at;
        if (l->n >= o->max) {
            ctl_err("%s: at most %zu %s options", path, o->max, o->name);
            return CTL_EXIT_USAGE;
        }
        const char **v = realloc(l->v, (l->n + 1) * sizeof *v);
        if (!v) {
            ctl_err("out of memory");
            return CTL_EXIT_FAIL;
        }
        l->v = v;
        l->v[l->n++] = val;
        return 0;
    }
    case CTL_TIME: {
        ctl_time *t = at;
        t->text = val;
        if (!*val && o->clearable)
            return 0;
        if (ctl_parse_time(val, &t->seconds, &t->nanos, err, sizeof err) != 0) {
            ctl_err("%s%s%s %s", path, *path ? ": " : "", o->name, err);
            return CTL_EXIT_USAGE;
        }
        return 0;
    }
    case CTL_SECONDS: {
        ctl_seconds *s = at;
        if (parse_seconds(val, &s->ms) != 0) {
            ctl_err("%s %s: expected a positive number of seconds", o->name, val);
            return CTL_EXIT_USAGE;
        }
        s->given = true;
        return 0;
    }
    }
    return 0;
}

/* If argv[*i] is an option of opts, store it (and its value) into base and return 0;
 * -1 when it is not one; else an exit code. */
static int take_opt(const char *path, const ctl_optdef *opts, void *base, int argc, char **argv,
                    int *i)
{
    const char *val;
    const ctl_optdef *o = find_opt(opts, argv[*i], &val);
    if (!o)
        return -1;
    if (o->kind != CTL_BOOL && !val) {
        if (*i + 1 >= argc)
            return usage_err(path, "%s needs a value", o->name);
        val = argv[++*i];
    }
    return store(path, o, base, val);
}

/* The amounts given with their currency, read exactly. */
static int read_money(const char *path, const ctl_optdef *opts, void *base)
{
    for (const ctl_optdef *o = opts; o && o->name; o++) {
        ctl_money *m = (ctl_money *)((char *)base + o->at);
        if (o->kind != CTL_MONEY || !m->text)
            continue;
        const char *cur = NULL;
        for (const ctl_optdef *p = opts; p->name; p++)
            if (strcmp(p->name, o->pair) == 0)
                cur = *(const char **)((char *)base + p->at);
        if (!cur)
            continue;
        char err[200];
        int exp;
        if (ctl_currency(cur, m->code, &exp, err, sizeof err) != 0) {
            ctl_err("%s: %s %s", path, o->pair, err);
            return CTL_EXIT_USAGE;
        }
        if (ctl_parse_amount(m->text, m->code, exp, &m->minor, err, sizeof err) != 0) {
            ctl_err("%s: %s %s", path, o->name, err);
            return CTL_EXIT_USAGE;
        }
        m->exact = true;
    }
    return 0;
}

int ctl_money_in(const char *path, const char *opt, const ctl_money *m, const char *currency,
                 int64_t *minor, char code[4])
{
    char err[200];
    int exp;
    if (ctl_currency(currency, code, &exp, err, sizeof err) != 0 ||
        ctl_parse_amount(m->text, code, exp, minor, err, sizeof err) != 0) {
        ctl_err("%s: %s %s", path, opt, err);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

static void free_lists(const ctl_optdef *opts, void *base)
{
    for (const ctl_optdef *o = opts; o && o->name; o++)
        if (o->kind == CTL_LIST)
            free(((ctl_list *)((char *)base + o->at))->v);
}

/* A command: argv[from..] are its options and positionals. */
static int run_leaf(const ctl_cmd *root, const ctl_cmd *cmd, const char *path, ctl_global *g,
                    int argc, char **argv, int from)
{
    const char **pos = calloc((size_t)cmd->max_pos + 1, sizeof *pos);
    void *vals = calloc(1, cmd->opts_size ? cmd->opts_size : 1);
    int n_pos = 0, rc = -1;
    bool helped = false;
    if (!pos || !vals) {
        ctl_err("out of memory");
        rc = CTL_EXIT_FAIL;
    }
    for (int i = from; rc < 0 && i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            ctl_help(stdout, root, cmd, path);
            helped = true;
            rc = CTL_EXIT_OK;
        } else if ((rc = take_opt(path, cmd->opts, vals, argc, argv, &i)) >= 0 ||
                   (rc = take_opt(path, root->opts, g, argc, argv, &i)) >= 0) {
            rc = rc ? rc : -1;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_err(path, "unknown option %s", a);
        } else if (n_pos >= cmd->max_pos) {
            rc = usage_err(path, "unexpected argument \"%s\"", a);
        } else {
            pos[n_pos++] = a;
        }
    }
    if (rc < 0)
        rc = read_money(path, cmd->opts, vals);
    if (rc == 0 && !helped) {
        tnd_arena arena;
        tnd_arena_init(&arena, 0);
        ctl_call c = {
            .root = root, .path = path, .pos = pos, .n_pos = n_pos, .opts = vals, .arena = &arena};
        rc = cmd->run(g, &c);
        tnd_arena_free(&arena);
    }
    if (vals)
        free_lists(cmd->opts, vals);
    free(vals);
    free(pos);
    return rc;
}

/* A group: global options, then the name of a subcommand (or, when the group runs
 * itself, anything else is its own command line from argv[from]). */
static int run_group(const ctl_cmd *root, const ctl_cmd *cmd, const char *path, ctl_global *g,
                     int argc, char **argv, int from)
{
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            ctl_help(stdout, root, cmd, path);
            return CTL_EXIT_OK;
        }
        if (a[0] == '-') {
            ctl_global g2 = *g; /* the group's own form may read it differently */
            int r = take_opt(path, root->opts, &g2, argc, argv, &i);
            if (r < 0 && cmd->run)
                break;
            if (r < 0)
                return usage_err(path, "unknown option %s", a);
            if (r > 0)
                return r;
            *g = g2;
            continue;
        }
        for (const ctl_cmd *const *s = cmd->subs; *s; s++) {
            if (strcmp((*s)->name, a) != 0)
                continue;
            char sub[200];
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? " " : "", a);
            if ((*s)->subs)
                return run_group(root, *s, sub, g, argc, argv, i + 1);
            return run_leaf(root, *s, sub, g, argc, argv, i + 1);
        }
        if (cmd->run)
            break;
        return usage_err(path, "unknown command \"%s\"", a);
    }
    if (cmd->run)
        return run_leaf(root, cmd, path, g, argc, argv, from);
    ctl_help(stderr, root, cmd, path);
    return CTL_EXIT_USAGE;
}

int ctl_dispatch(const ctl_cmd *root, ctl_global *g, int argc, char **argv)
{
    return run_group(root, root, "", g, argc, argv, 1);
}

const ctl_cmd *ctl_cmd_find(const ctl_cmd *root, const char *path)
{
    const ctl_cmd *c = root;
    while (*path) {
        size_t n = strcspn(path, " ");
        const ctl_cmd *next = NULL;
        for (const ctl_cmd *const *s = c->subs; s && *s && !next; s++)
            if (strlen((*s)->name) == n && strncmp((*s)->name, path, n) == 0)
                next = *s;
        if (!next)
            return NULL;
        c = next;
        path += n;
        path += strspn(path, " ");
    }
    return c;
}
