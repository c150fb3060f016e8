/* Command-line parsing shared by the tender and question commands: the
 * command's own options, global options anywhere, and positionals. */
#include <string.h>

#include "ctl.h"

/* The option of opts that a matches ("--name" or "--name=value"), or NULL. */
static const ctl_opt *find_opt(const ctl_opt *opts, const char *a, const char **inline_val)
{
    for (const ctl_opt *o = opts; o && o->name; o++) {
        size_t n = strlen(o->name);
        if (strncmp(a, o->name, n) != 0)
            continue;
        if (a[n] == '\0') {
            *inline_val = NULL;
            return o;
        }
        if (a[n] == '=' && !o->flag) {
            *inline_val = a + n + 1;
            return o;
        }
    }
    return NULL;
}

int ctl_args(ctl_global *g, int argc, char **argv, const char *cmd, const char *usage,
             const ctl_opt *opts, const char **pos, int max_pos, int *n_pos)
{
    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return CTL_EXIT_OK;
        }
        const char *val;
        const ctl_opt *o = find_opt(opts, a, &val);
        if (o) {
            if (o->flag) {
                *o->flag = true;
                continue;
            }
            if (!val) {
                if (i + 1 >= argc) {
                    ctl_err("%s: %s needs a value (see tenderctl %s --help)", cmd, o->name, cmd);
                    return CTL_EXIT_USAGE;
                }
                val = argv[++i];
            }
            if (o->list) {
                if (*o->n_list >= o->max_list) {
                    ctl_err("%s: at most %zu %s options", cmd, o->max_list, o->name);
                    return CTL_EXIT_USAGE;
                }
                o->list[(*o->n_list)++] = val;
            } else {
                *o->value = val;
            }
            continue;
        }
        int r = ctl_global_option(g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r > 0)
            continue;
        if (a[0] == '-' && a[1] != '\0') {
            ctl_err("%s: unknown option %s (see tenderctl %s --help)", cmd, a, cmd);
            return CTL_EXIT_USAGE;
        }
        if (*n_pos >= max_pos) {
            ctl_err("%s: unexpected argument \"%s\" (see tenderctl %s --help)", cmd, a, cmd);
            return CTL_EXIT_USAGE;
        }
        pos[(*n_pos)++] = a;
    }
    return -1;
}

int ctl_subcommand(ctl_global *g, int argc, char **argv, const char *cmd, const char *usage,
                   const ctl_sub *subs, size_t n_subs)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return CTL_EXIT_OK;
        }
        if (a[0] != '-')
            break;
        int r = ctl_global_option(g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r == 0) {
            ctl_err("%s: unknown option %s (see tenderctl %s --help)", cmd, a, cmd);
            return CTL_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return CTL_EXIT_USAGE;
    }
    for (size_t k = 0; k < n_subs; k++)
        if (strcmp(argv[i], subs[k].name) == 0)
            return subs[k].fn(g, argc - i, argv + i);
    ctl_err("%s: unknown command \"%s\" (see tenderctl %s --help)", cmd, argv[i], cmd);
    return CTL_EXIT_USAGE;
}
