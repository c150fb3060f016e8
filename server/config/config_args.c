/* tenderd's command line, --help and --print-config, all made from the
 * settings table (config.c). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ops/logging.h"

/* getopt values: table rows are ROW_BASE + index; the rest are actions. */
enum { OPT_CONFIG = 1, OPT_PRINT_CONFIG, OPT_PRINT_LOG_KEY, OPT_HELP = 'h', ROW_BASE = 1024 };

static const struct option action_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
    {"print-log-key", no_argument, NULL, OPT_PRINT_LOG_KEY},
    {"help", no_argument, NULL, OPT_HELP},
};
#define N_ACTIONS (sizeof action_options / sizeof action_options[0])

/* One flag seen on the command line, applied after the file. */
struct pending {
    const tnd_setting *s;
    const char *value;
};

static struct option *make_options(void)
{
    struct option *o = calloc(tnd_config_rows_count + N_ACTIONS + 1, sizeof *o);
    if (!o)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < N_ACTIONS; i++)
        o[n++] = action_options[i];
    for (size_t i = 0; i < tnd_config_rows_count; i++)
        if (tnd_config_rows[i].flag)
            o[n++] = (struct option){tnd_config_rows[i].flag, required_argument, NULL,
                                     ROW_BASE + (int)i};
    return o; /* ends with a zeroed entry */
}

int tnd_config_from_args(tnd_config *c, int argc, char **argv, tnd_config_action *action, char *err,
                         size_t errlen)
{
    int rc = -1;
    const char *file = NULL;
    size_t npending = 0;
    struct option *opts = make_options();
    struct pending *pending = calloc((size_t)argc + 1, sizeof *pending);
    *action = TND_ACTION_RUN;
    tnd_config_defaults(c);
    if (!opts || !pending) {
        snprintf(err, errlen, "out of memory");
        goto out_free;
    }
    optind = 0; /* glibc: start afresh (the tests parse more than once) */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_CONFIG:
            if (file) {
                snprintf(err, errlen, "--config given twice");
                goto out_free;
            }
            file = optarg;
            break;
        case OPT_PRINT_CONFIG:
        case OPT_PRINT_LOG_KEY: {
            tnd_config_action a =
                opt == OPT_PRINT_CONFIG ? TND_ACTION_PRINT_CONFIG : TND_ACTION_PRINT_LOG_KEY;
            if (*action != TND_ACTION_RUN && *action != a) {
                snprintf(err, errlen, "--print-config and --print-log-key: choose one");
                goto out_free;
            }
            *action = a;
            break;
        }
        case OPT_HELP:
            *action = TND_ACTION_HELP;
            rc = 0;
            goto out_free;
        case ':':
            snprintf(err, errlen, "%s needs a value (see --help)", argv[optind - 1]);
            goto out_free;
        case '?':
            snprintf(err, errlen, "unknown option \"%s\" (see --help)", argv[optind - 1]);
            goto out_free;
        default:
            pending[npending++] = (struct pending){&tnd_config_rows[opt - ROW_BASE], optarg};
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
        goto out_free;
    }
    if (file && tnd_config_read_file(c, file, err, errlen) != 0)
        goto out_free;
    for (size_t i = 0; i < npending; i++) {
        char why[300];
        if (tnd_setting_set(c, pending[i].s, pending[i].value, why, sizeof why) != 0) {
            snprintf(err, errlen, "--%s: %s", pending[i].s->flag, why);
            goto out_free;
        }
    }
    tnd__config_finish(c);
    rc = 0;
out_free:
    free(pending);
    free(opts);
    return rc;
}

/* Does an earlier row have this row's section? Sections print once, in
 * the order they first appear. */
static bool section_seen_before(size_t row)
{
    for (size_t j = 0; j < row; j++)
        if (strcmp(tnd_config_rows[j].section, tnd_config_rows[row].section) == 0)
            return true;
    return false;
}

void tnd_config_print(const tnd_config *c, FILE *out)
{
    char value[1100];
    fprintf(out,
            "# tenderd settings (tenderd --print-config); docs/OPERATIONS.md explains them.\n");
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        if (section_seen_before(i))
            continue;
        fprintf(out, "\n[%s]\n", tnd_config_rows[i].section);
        for (size_t k = i; k < tnd_config_rows_count; k++) {
            const tnd_setting *s = &tnd_config_rows[k];
            if (strcmp(s->section, tnd_config_rows[i].section) != 0)
                continue;
            tnd_setting_format(c, s, value, sizeof value);
            fprintf(out, "# %s (default %s)\n%s = %s\n", s->doc, *s->def ? s->def : "empty", s->key,
                    value);
        }
    }
}

void tnd_config_log(const tnd_config *c, const char *msg)
{
    enum { VALUE_MAX = sizeof c->cert + 16 };
    const char **kv = calloc(2 * tnd_config_rows_count, sizeof *kv);
    char *values = malloc(tnd_config_rows_count * VALUE_MAX);
    if (!kv || !values) {
        tnd_log(TND_LOG_INFO, msg, NULL); /* the line without the summary */
        goto out_free;
    }
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        char *v = values + i * VALUE_MAX;
        tnd_setting_format(c, &tnd_config_rows[i], v, VALUE_MAX);
        kv[2 * i] = tnd_config_rows[i].key;
        kv[2 * i + 1] = v;
    }
    tnd_log_pairs(TND_LOG_INFO, msg, kv, tnd_config_rows_count);
out_free:
    free(values);
    free(kv);
}

/* Write text from column `at` on, wrapped to 100 columns with later lines
 * starting at column `indent`. */
static void put_wrapped(FILE *out, size_t at, size_t indent, const char *text)
{
    const size_t width = 100;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (at > indent && at + 1 + word > width) {
            fprintf(out, "\n%*s", (int)indent, "");
            at = indent;
        } else if (at > indent) {
            fputc(' ', out);
            at++;
        }
        fprintf(out, "%.*s", (int)word, text);
        at += word;
        text += word;
        while (*text == ' ')
            text++;
    }
    fputc('\n', out);
}

/* "  --flag ARG   text", the text from column 29, wrapped. */
static void put_option(FILE *out, const char *left, const char *doc)
{
    const size_t col = 29;
    fprintf(out, "  %-26s ", left);
    if (strlen(left) > 26) /* a long flag: its text starts on the next line */
        fprintf(out, "\n%*s", (int)col, "");
    put_wrapped(out, col, col, doc);
}

void tnd_config_usage(FILE *out)
{
    fprintf(out,
            "usage: tenderd [--config FILE] [OPTIONS]\n"
            "       tenderd backup [--config FILE] [--db DIR] --out FILE\n"
            "       tenderd restore --from FILE [--config FILE] [--db DIR] [--log-key KEYFILE]\n"
            "                       [--force]\n"
            "\n"
            "The tenderd tendering server: TLS 1.3 RPC (ALPN tender/1) on HOST:PORT.\n"
            "backup copies the database while the server runs and verifies the copy's\n"
            "transparency log; restore verifies a backup and installs it (see\n"
            "tenderd backup --help, tenderd restore --help).\n"
            "\n"
            "Settings come from the embedded defaults, then the --config file, then the flags\n"
            "(a flag wins over the file wherever it stands). Each flag below is also a key of\n"
            "the same name in the file, in the [section] it is listed under (docs/OPERATIONS.md).\n"
            "BYTES take a unit K/KiB, M/MiB, G/GiB or T/TiB (1024-based); MS and S take ms, s, m,\n"
            "h or d; a bare number is bytes, milliseconds (MS) or seconds (S).\n"
            "\n");
    put_option(out, "--config FILE", "read settings from an INI file");
    put_option(out, "--print-config",
               "print the effective settings (defaults, file, flags) as a config file and exit");
    put_option(out, "--print-log-key",
               "print the log's verifier key (creating the key in --db on first use) and exit");
    put_option(out, "--help", "this text");
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        if (section_seen_before(i))
            continue;
        fprintf(out, "\n[%s]\n", tnd_config_rows[i].section);
        for (size_t k = i; k < tnd_config_rows_count; k++) {
            const tnd_setting *s = &tnd_config_rows[k];
            if (strcmp(s->section, tnd_config_rows[i].section) != 0 || !s->flag)
                continue;
            char left[96], doc[600];
            snprintf(left, sizeof left, "--%s %s", s->flag, s->arg);
            snprintf(doc, sizeof doc, "%s (default %s)%s%s", s->doc, *s->def ? s->def : "none",
                     strcmp(s->flag, s->key) ? "; in the file: " : "",
                     strcmp(s->flag, s->key) ? s->key : "");
            put_option(out, left, doc);
        }
    }
    fprintf(out,
            "\n"
            "Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP re-reads --cert, --key, --ca and\n"
            "--crl (new connections use them; on any error the old ones stay and an error is\n"
            "logged); open connections whose client certificate no longer verifies (revoked,\n"
            "expired, CA no longer trusted) are closed.\n"
            "Exit status: 0 done, 1 cannot start, 2 bad command line or config file.\n");
}
