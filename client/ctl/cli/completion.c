/* `tenderctl completion bash`: the bash completion script, written from the command
 * table: commands, subcommands, each command's flags, and for a flag's value a file,
 * a folder or the words it takes. The build installs its output. */
#include <string.h>

#include "ctl.h"

typedef void (*visit_fn)(FILE *out, const char *path, const ctl_cmd *c, void *arg);

/* Call fn for every visible command below c (not c itself), depth first. */
static void each(FILE *out, const ctl_cmd *c, const char *path, visit_fn fn, void *arg)
{
    for (const ctl_cmd *const *s = c->subs; s && *s; s++) {
        if ((*s)->hidden)
            continue;
        char sub[64];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? " " : "", (*s)->name);
        fn(out, sub, *s, arg);
        each(out, *s, sub, fn, arg);
    }
}

static void names(FILE *out, const ctl_cmd *c)
{
    const char *sep = "";
    for (const ctl_cmd *const *s = c->subs; s && *s; s++)
        if (!(*s)->hidden) {
            fprintf(out, "%s%s", sep, (*s)->name);
            sep = " ";
        }
}

static void flags(FILE *out, const ctl_optdef *opts)
{
    const char *sep = "";
    for (const ctl_optdef *o = opts; o && o->name; o++) {
        fprintf(out, "%s%s", sep, o->name);
        sep = " ";
    }
}

/* What completes the value of option o: a case branch's body. */
static void value_of(FILE *out, ctl_kind kind, const char *values)
{
    if (values)
        fprintf(out, "COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", values);
    else if (kind == CTL_FILE)
        fputs("_tenderctl_files; return ;;\n", out);
    else if (kind == CTL_DIR)
        fputs("_tenderctl_dirs; return ;;\n", out);
    else
        fputs("return ;;\n", out);
}

static void flag_case(FILE *out, const char *path, const ctl_cmd *c, void *arg)
{
    (void)arg;
    if (c->opts && c->opts->name && c->run) {
        fprintf(out, "        \"%s\") flags=\"", path);
        flags(out, c->opts);
        fputs("\" ;;\n", out);
    }
}

static void value_case(FILE *out, const char *path, const ctl_cmd *c, void *arg)
{
    (void)arg;
    for (const ctl_optdef *o = c->opts; c->run && o && o->name; o++)
        if (o->kind != CTL_BOOL) {
            fprintf(out, "    \"%s %s\") ", path, o->name);
            value_of(out, o->files ? CTL_FILE : o->kind, o->values);
        }
}

static void key_case(FILE *out, const char *path, const ctl_cmd *c, void *arg)
{
    (void)c;
    if (strchr(path, ' '))
        fprintf(out, "    \"%s\") key=\"$cmd $sub\" ;;\n", path);
    (void)arg;
}

static void sub_case(FILE *out, const char *path, const ctl_cmd *c, void *arg)
{
    (void)arg;
    if (strchr(path, ' '))
        return;
    if (c->subs) {
        fprintf(out, "        %s) COMPREPLY=($(compgen -W \"", path);
        names(out, c);
        fputs("\" -- \"$cur\")) ;;\n", out);
    } else if (c->pos_values || c->pos_kind == CTL_DIR) {
        fprintf(out, "        %s) ", path);
        value_of(out, c->pos_kind, c->pos_values);
    }
}

static void pos_case(FILE *out, const char *path, const ctl_cmd *c, void *arg)
{
    (void)arg;
    if (strchr(path, ' ') && (c->pos_values || c->pos_kind == CTL_DIR)) {
        fprintf(out, "        \"%s\") ", path);
        value_of(out, c->pos_kind, c->pos_values);
    }
}

/* The flags that take a value, each once: the word after one is never a command. */
typedef struct skip {
    const char *seen[256];
    int n;
} skip;

static void skip_case(FILE *out, const char *path, const ctl_cmd *c, void *arg)
{
    (void)path;
    skip *k = arg;
    for (const ctl_optdef *o = c->opts; o && o->name; o++) {
        bool seen = o->kind == CTL_BOOL;
        for (int i = 0; i < k->n && !seen; i++)
            seen = strcmp(k->seen[i], o->name) == 0;
        if (seen || k->n == 256)
            continue;
        fprintf(out, "%s%s", k->n ? " | " : "", o->name);
        k->seen[k->n++] = o->name;
    }
}

void ctl_completion_bash(FILE *out, const ctl_cmd *root)
{
    fputs("# bash completion for tenderctl: commands, subcommands, flags, and files, folders\n"
          "# or words where a flag takes one. Written by `tenderctl completion bash` from its\n"
          "# command table; installed as share/bash-completion/completions/tenderctl.\n\n"
          "_tenderctl()\n{\n"
          "    local cur prev words cword\n"
          "    if declare -F _init_completion >/dev/null; then\n"
          "        _init_completion || return\n"
          "    else\n"
          "        cur=${COMP_WORDS[COMP_CWORD]}\n"
          "        prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
          "        words=(\"${COMP_WORDS[@]}\")\n"
          "        cword=$COMP_CWORD\n"
          "    fi\n\n",
          out);
    fputs("    local global=\"", out);
    flags(out, root->opts);
    fputs(" --help\"\n\n"
          "    # The command and subcommand typed so far; flags and their values are skipped.\n"
          "    local cmd=\"\" sub=\"\" npos=0 i w\n"
          "    for ((i = 1; i < cword; i++)); do\n"
          "        w=${words[i]}\n"
          "        case \"$w\" in\n        ",
          out);
    skip k = {.n = 0};
    skip_case(out, "", root, &k);
    each(out, root, "", skip_case, &k);
    fputs(") ((i++)); continue ;;\n"
          "        -*) continue ;;\n"
          "        esac\n"
          "        if [[ -z $cmd ]]; then\n"
          "            cmd=$w\n"
          "        elif [[ -z $sub ]]; then\n"
          "            sub=$w\n"
          "        fi\n"
          "        ((npos++))\n"
          "    done\n"
          "    local key=$cmd\n"
          "    case \"$cmd $sub\" in\n",
          out);
    each(out, root, "", key_case, NULL);
    fputs("    esac\n\n"
          "    # Values of flags: the command's own first, then the global ones.\n"
          "    case \"$key $prev\" in\n",
          out);
    each(out, root, "", value_case, NULL);
    for (const ctl_optdef *o = root->opts; o && o->name; o++)
        if (o->kind != CTL_BOOL) {
            fprintf(out, "    *\" %s\") ", o->name);
            value_of(out, o->kind, o->values);
        }
    fputs("    esac\n\n"
          "    if [[ $cur == -* ]]; then\n"
          "        local flags=\"\"\n"
          "        case \"$key\" in\n",
          out);
    each(out, root, "", flag_case, NULL);
    fputs("        esac\n"
          "        COMPREPLY=($(compgen -W \"$flags $global\" -- \"$cur\"))\n"
          "        return\n"
          "    fi\n\n"
          "    if [[ -z $cmd ]]; then\n"
          "        COMPREPLY=($(compgen -W \"",
          out);
    names(out, root);
    fputs("\" -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    if ((npos == 1)); then\n"
          "        case \"$cmd\" in\n",
          out);
    each(out, root, "", sub_case, NULL);
    fputs("        esac\n"
          "        return\n"
          "    fi\n"
          "    if ((npos == 2)); then\n"
          "        case \"$key\" in\n",
          out);
    each(out, root, "", pos_case, NULL);
    fputs("        esac\n"
          "    fi\n"
          "}\n\n"
          "_tenderctl_files()\n{\n"
          "    if declare -F _filedir >/dev/null; then\n"
          "        _filedir\n"
          "    else\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n\n"
          "_tenderctl_dirs()\n{\n"
          "    if declare -F _filedir >/dev/null; then\n"
          "        _filedir -d\n"
          "    else\n"
          "        COMPREPLY=($(compgen -d -- \"$cur\"))\n"
          "    fi\n"
          "}\n\n"
          "complete -F _tenderctl tenderctl\n",
          out);
}
