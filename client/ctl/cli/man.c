/* The man page tenderctl(1), written at build time (`tenderctl gen-man TEMPLATE`) from
 * docs/man/tenderctl.1.scd.in, the prose that is not a command's or an option's, and
 * the command table. A template line that starts with '@' is a directive:
 *
 *   @options                 the global options
 *   @command PATH            a command: its name, synopsis and description
 *   @options PATH            every option of a command
 *   @option PATH --NAME      one option of a command
 *
 * Every visible command must be placed by an @command line: a command missing from the
 * template, or a directive naming none, fails the build. */
#include <string.h>

#include "ctl.h"

/* Each line of text, tab-indented (an indented block of scdoc); a line that starts
 * with '-' or '[' or '|' is escaped, as scdoc would read a list or a table. */
static void indented(FILE *out, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        fprintf(out, "\t%s%.*s\n", strchr("-[|", *text) && n ? "\\" : "", (int)n, text);
        text += n;
        if (*text)
            text++;
    }
}

static void option(FILE *out, const ctl_optdef *o)
{
    fprintf(out, "*%s*%s%s\n", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    indented(out, o->help ? o->help : "");
    fputc('\n', out);
}

static void command(FILE *out, const char *path, const ctl_cmd *c)
{
    fprintf(out, "*%s*%s%s\n", path, c->synopsis && *c->synopsis ? " " : "",
            c->synopsis ? c->synopsis : "");
    indented(out, c->about ? c->about : c->summary ? c->summary : "");
}

/* Is every visible command under c (path) in the placed list? Prints those that
 * are not. */
static bool all_placed(const ctl_cmd *c, const char *path, char placed[][64], int n_placed,
                       const char *template_name)
{
    bool ok = true;
    if (*path && c->run) {
        bool found = false;
        for (int i = 0; i < n_placed && !found; i++)
            found = strcmp(placed[i], path) == 0;
        if (!found) {
            ctl_err("%s has no \"@command %s\" line", template_name, path);
            ok = false;
        }
    }
    for (const ctl_cmd *const *s = c->subs; s && *s; s++) {
        if ((*s)->hidden)
            continue;
        char sub[64];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? " " : "", (*s)->name);
        ok = all_placed(*s, sub, placed, n_placed, template_name) && ok;
    }
    return ok;
}

int ctl_man(FILE *out, FILE *template, const char *template_name, const ctl_cmd *root)
{
    static char placed[200][64];
    int n_placed = 0, lineno = 0;
    char line[4096];
    while (fgets(line, sizeof line, template)) {
        lineno++;
        if (line[0] != '@') {
            fputs(line, out);
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        char *arg = line + strcspn(line, " ");
        if (*arg)
            *arg++ = '\0';
        const char *opt = NULL;
        char *dash = strstr(arg, " --");
        if (strcmp(line, "@option") == 0 && dash) {
            *dash = '\0';
            opt = dash + 1;
        }
        const ctl_cmd *c = ctl_cmd_find(root, arg);
        if (!c) {
            ctl_err("%s:%d: no command \"%s\"", template_name, lineno, arg);
            return CTL_EXIT_FAIL;
        }
        if (strcmp(line, "@command") == 0 && *arg) {
            command(out, arg, c);
            if (n_placed < 200)
                snprintf(placed[n_placed++], sizeof placed[0], "%s", arg);
        } else if (strcmp(line, "@options") == 0) {
            for (const ctl_optdef *o = c->opts; o && o->name; o++)
                option(out, o);
        } else if (strcmp(line, "@option") == 0 && opt) {
            const ctl_optdef *o = c->opts;
            while (o && o->name && strcmp(o->name, opt) != 0)
                o++;
            if (!o || !o->name) {
                ctl_err("%s:%d: %s has no option %s", template_name, lineno, arg, opt);
                return CTL_EXIT_FAIL;
            }
            option(out, o);
        } else {
            ctl_err("%s:%d: unknown directive %s", template_name, lineno, line);
            return CTL_EXIT_FAIL;
        }
    }
    return all_placed(root, "", placed, n_placed, template_name) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
