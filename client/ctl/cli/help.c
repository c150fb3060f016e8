/* `--help` of every command, written from the command table (cmd.h): the usage line,
 * the description, and the options or subcommands with their help. */
#include <ctype.h>
#include <string.h>

#include "ctl.h"

#define WIDTH 92    /* the right margin of wrapped text */
#define OPT_COL 25  /* where an option's help starts */
#define CMD_COL 33  /* where a command's summary starts in a list */

const char *ctl_plain(const char *s, char *out, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; s[i] && k + 1 < len; i++) {
        if (s[i] == '*' || s[i] == '\\')
            continue;
        if (s[i] == '_' && !(i > 0 && isalnum((unsigned char)s[i - 1]) &&
                             isalnum((unsigned char)s[i + 1])))
            continue;
        out[k++] = s[i];
    }
    out[k] = '\0';
    return out;
}

/* Print text from column col (the line already holds col characters), wrapped at
 * WIDTH with later lines indented to indent. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        p += strspn(p, " \n");
        if (!*p)
            break;
        int n = (int)strcspn(p, " \n");
        if (!first && col + 1 + n > WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
            first = true;
        }
        fprintf(f, "%s%.*s", first ? "" : " ", n, p);
        col += n + (first ? 0 : 1);
        first = false;
        p += n;
    }
    fputc('\n', f);
}

/* "  LEFT" padded to column at, then text wrapped; LEFT longer than the column puts
 * the text on the next line. */
static void item(FILE *f, const char *left, const char *text, int at)
{
    char plain[4096];
    int n = fprintf(f, "  %s", left);
    if (!text || !*text) {
        fputc('\n', f);
        return;
    }
    if (n > at - 2) {
        fprintf(f, "\n%*s", at, "");
    } else {
        fprintf(f, "%*s", at - n, "");
    }
    wrap(f, ctl_plain(text, plain, sizeof plain), at, at);
}

static void options(FILE *f, const ctl_optdef *opts)
{
    for (const ctl_optdef *o = opts; o && o->name; o++) {
        char left[200], arg[200];
        snprintf(left, sizeof left, "%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? ctl_plain(o->arg, arg, sizeof arg) : "");
        item(f, left, o->help, OPT_COL);
    }
}

/* The line of a command in its parent's list: its name and what follows. */
static void entry(const ctl_cmd *c, char *out, size_t len)
{
    char syn[600];
    size_t k = (size_t)snprintf(out, len, "%s", c->name);
    if (c->subs) {
        if (c->run && c->synopsis) {
            ctl_plain(c->synopsis, syn, sizeof syn);
            syn[strcspn(syn, " ")] = '\0';
            k += (size_t)snprintf(out + k, len - k, " %s|", syn);
        } else {
            k += (size_t)snprintf(out + k, len - k, " ");
        }
        for (const ctl_cmd *const *s = c->subs; *s && k < len; s++)
            if (!(*s)->hidden)
                k += (size_t)snprintf(out + k, len - k, "%s%s", (*s)->name, s[1] ? "|" : "");
        if (k < len)
            snprintf(out + k, len - k, " ...");
    } else if (c->synopsis && *c->synopsis) {
        snprintf(out + k, len - k, " %s", ctl_plain(c->synopsis, syn, sizeof syn));
    }
}

static void commands(FILE *f, const ctl_cmd *cmd)
{
    for (const ctl_cmd *const *s = cmd->subs; s && *s; s++) {
        if ((*s)->hidden)
            continue;
        char left[700];
        entry(*s, left, sizeof left);
        item(f, left, (*s)->summary, CMD_COL);
    }
}

/* A description, its paragraphs (split by a blank line) filled to the margin. */
static void about(FILE *f, const char *text)
{
    char plain[8192];
    if (!text || !*text)
        return;
    ctl_plain(text, plain, sizeof plain);
    for (char *p = plain; p;) {
        char *next = strstr(p, "\n\n");
        if (next) {
            *next = '\0';
            next += 2;
        }
        fputc('\n', f);
        wrap(f, p, 0, 0);
        p = next;
    }
}

/* "usage: tenderctl PATH SYNOPSIS", the synopsis wrapped under the command. */
static void usage(FILE *f, const char *lead, const char *path, const char *synopsis)
{
    char syn[600];
    if (!synopsis || !*synopsis) {
        fprintf(f, "%s %s\n", lead, path);
        return;
    }
    int n = fprintf(f, "%s %s ", lead, path);
    wrap(f, ctl_plain(synopsis, syn, sizeof syn), n, n);
}

void ctl_help(FILE *f, const ctl_cmd *root, const ctl_cmd *cmd, const char *path)
{
    if (cmd == root) {
        fputs("usage: tenderctl [OPTIONS] COMMAND [ARGS]\n\nCommands:\n", f);
        commands(f, root);
        fputs("\nOptions (before or after the command; flags win over the environment):\n", f);
        options(f, root->opts);
        about(f, root->about);
        return;
    }
    if (cmd->subs && !cmd->run) {
        fprintf(f, "usage: tenderctl %s COMMAND [ARGS]\n", path);
        about(f, cmd->about);
        fputc('\n', f);
        commands(f, cmd);
        fprintf(f, "\n`tenderctl %s COMMAND --help` describes each.\n", path);
        return;
    }
    usage(f, "usage: tenderctl", path, cmd->synopsis);
    for (const ctl_cmd *const *s = cmd->subs; s && *s; s++)
        if (!(*s)->hidden) {
            char sub[200];
            snprintf(sub, sizeof sub, "%s %s", path, (*s)->name);
            usage(f, "       tenderctl", sub, (*s)->synopsis);
        }
    about(f, cmd->about);
    if (cmd->opts && cmd->opts->name) {
        fputc('\n', f);
        options(f, cmd->opts);
    }
    if (cmd->subs) {
        fputc('\n', f);
        commands(f, cmd);
    }
}
