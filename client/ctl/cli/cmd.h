/* The command table: every tenderctl command is one ctl_cmd, data only: its name,
 * positional arguments, options with their kind, help text and handler. Everything
 * else comes from the tables: dispatch and option parsing (args.c), `--help`
 * (help.c), the man page (man.c, from docs/man/tenderctl.1.scd.in) and the bash
 * completion (completion.c). A handler never sees argv: it gets its positionals and a
 * struct of option values already checked and parsed by kind.
 *
 * Texts (synopsis, about, an option's arg and help) are scdoc markup: *bold* for
 * what is typed as is, _underlined_ for what the user fills in. --help prints them
 * without the markup. */
#ifndef TND_CTL_CMD_H
#define TND_CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ctl_global;
struct tnd_arena;

/** What an option takes; the parser checks it before the handler runs, and a bad
 * value is a usage error (exit 2) naming the option. */
typedef enum ctl_kind {
    CTL_STRING,  /* const char *: any text */
    CTL_FILE,    /* const char *: a file name (completed as a file) */
    CTL_DIR,     /* const char *: a folder name (completed as a folder) */
    CTL_LIST,    /* ctl_list: a text, repeatable (at most .max times) */
    CTL_BOOL,    /* bool: a flag, no value */
    CTL_TIME,    /* ctl_time: RFC 3339, parsed here once */
    CTL_MONEY,   /* ctl_money: an exact decimal amount in the currency of option .pair */
    CTL_SECONDS, /* ctl_seconds: a positive number of seconds, decimals allowed */
} ctl_kind;

/** A repeatable option's values, in the order given. */
typedef struct ctl_list {
    const char **v;
    size_t n;
} ctl_list;

/** A time option: text NULL when not given; "" (only with .clearable) to clear. */
typedef struct ctl_time {
    const char *text;
    int64_t seconds;
    uint32_t nanos;
} ctl_time;

/** A money option: text NULL when not given. When its currency option was given too,
 * exact is set and minor (the amount in minor units) and code (the upper-case ISO 4217
 * code) hold the value; otherwise the handler reads it with ctl_money_in. */
typedef struct ctl_money {
    const char *text;
    bool exact;
    int64_t minor;
    char code[4];
} ctl_money;

/** A duration option (--timeout): ms, and whether it was given. */
typedef struct ctl_seconds {
    uint32_t ms;
    bool given;
} ctl_seconds;

/** One option of a command. */
typedef struct ctl_optdef {
    const char *name;   /* "--title" */
    ctl_kind kind;
    size_t at;          /* offsetof its value in the command's option struct */
    const char *arg;    /* its value in help texts ("_TEXT_", "*on*|*off*"); NULL for CTL_BOOL */
    const char *help;   /* what it does */
    const char *values; /* the words it takes, for completion ("on off"), or NULL */
    size_t max;         /* CTL_LIST: at most this many */
    const char *pair;   /* CTL_MONEY: the name of the currency option */
    bool clearable;     /* CTL_TIME: "" is allowed (it clears the time) */
    bool files;         /* CTL_LIST: of file names (completed as files) */
} ctl_optdef;

struct ctl_cmd;

/** What a handler gets. */
typedef struct ctl_call {
    const struct ctl_cmd *root; /* the whole table (help, man page, completion) */
    const char *path;           /* "tender create", for messages */
    const char *const *pos;     /* the positional arguments */
    int n_pos;
    const void *opts;           /* the command's option struct (zeroed when not given) */
    /* The run's memory (common/arena.h): requests are built and replies decoded
     * in it, and it is freed at once when the handler returns. */
    struct tnd_arena *arena;
} ctl_call;

/** A command, or a group of subcommands (subs), or both (award: `award TENDER` runs
 * run, `award show` a subcommand). */
typedef struct ctl_cmd {
    const char *name;
    const char *synopsis; /* what follows the name: "_ID_ [*--version* _N_]" */
    const char *summary;  /* one line for the parent's list */
    const char *about;    /* the description, for --help and the man page */
    const ctl_optdef *opts; /* ends with {0}; NULL for none */
    size_t opts_size;       /* sizeof the option struct */
    int max_pos;            /* positional arguments, at most */
    ctl_kind pos_kind;      /* the first positional, for completion: CTL_DIR or CTL_STRING */
    const char *pos_values; /* the words the first positional takes, for completion */
    int (*run)(struct ctl_global *g, const ctl_call *c);
    const struct ctl_cmd *const *subs; /* subcommands, NULL-terminated, or NULL */
    bool hidden;                       /* not in help, the man page or completion */
} ctl_cmd;

/** Parse argv against root (whose options are the global ones, with their values in g)
 * and run the command it names. Returns the exit code. */
int ctl_dispatch(const ctl_cmd *root, struct ctl_global *g, int argc, char **argv);

/** Print the help of cmd (path "" for root) to f. */
void ctl_help(FILE *f, const ctl_cmd *root, const ctl_cmd *cmd, const char *path);

/** The command at path ("tender create"; "" is root), or NULL. */
const ctl_cmd *ctl_cmd_find(const ctl_cmd *root, const char *path);

/** Text without its scdoc markup (*, and _ except between letters or digits), into
 * out. Returns out. */
const char *ctl_plain(const char *s, char *out, size_t len);

/** Write the man page: the template's lines, with its directives replaced from the
 * table (man.c describes them). Returns 0 or an exit code (message printed). */
int ctl_man(FILE *out, FILE *template, const char *template_name, const ctl_cmd *root);

/** Write the bash completion script of the table. */
void ctl_completion_bash(FILE *out, const ctl_cmd *root);

/** Read a CTL_MONEY amount given without its currency option in currency (a tender's).
 * Returns 0 or an exit code (message printed). */
int ctl_money_in(const char *path, const char *opt, const ctl_money *m, const char *currency,
                 int64_t *minor, char code[4]);

#endif
