/* tenderwitness: the command line (docs/man/tenderwitness.1.scd). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "tender/witness.h"
#include "witness.h"

/* Exit status. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: tenderwitness COMMAND [FLAGS]\n"
    "\n"
    "A witness of tenderd's transparency log (C2SP tlog-witness): it cosigns a log's\n"
    "checkpoints only when they extend the one it cosigned before, and keeps the evidence\n"
    "when a log signs one that does not (docs/WITNESS.md).\n"
    "\n"
    "Commands:\n"
    "  init --state DIR --name NAME   create DIR with the witness's Ed25519 key and name\n"
    "                                 (a URL without scheme, e.g. audit.example/witness)\n"
    "  print-key --state DIR          print the witness's verifier key, for logs and clients\n"
    "  serve --state DIR --listen HOST:PORT --log VKEY [--log VKEY ...]\n"
    "                                 cosign, over HTTP, the checkpoints of the logs whose\n"
    "                                 keys are given (a log is its key's name, its origin)\n"
    "\n"
    "Each command takes --help. Exit status: 0 success; 1 failure (state folder, key,\n"
    "listener: the reason on stderr); 2 bad usage.\n";

static const char init_help[] =
    "usage: tenderwitness init --state DIR --name NAME\n"
    "\n"
    "Create the state folder DIR (mode 0700; an existing folder is used if it holds no key),\n"
    "an Ed25519 key in DIR/witness.key (mode 0600) and the name in DIR/witness.name, then\n"
    "print the verifier key. NAME is a URL without scheme, e.g. audit.example/witness.\n"
    "Refuses a folder that already has a key.\n";

static const char print_help[] =
    "usage: tenderwitness print-key --state DIR\n"
    "\n"
    "Print the witness's verifier key, NAME+KEYID+BASE64 with signature type 0x04\n"
    "(Ed25519 cosignature/v1): what a log (tenderd) and its clients configure.\n";

static const char serve_help[] =
    "usage: tenderwitness serve --state DIR --listen HOST:PORT --log VKEY [--log VKEY ...]\n"
    "\n"
    "Serve C2SP tlog-witness over plain HTTP on HOST:PORT (an IP address, [IPv6] or\n"
    "localhost): POST /add-checkpoint, and GET /HEX/checkpoint (HEX: the lowercase hex\n"
    "SHA-256 of a log's origin) for monitors. --log is a log's verifier key as tenderd\n"
    "prints it (NAME+KEYID+BASE64); its NAME is the log's origin. Repeat it for more logs\n"
    "or for more keys of one log. Logs one line per request and a loud EVIDENCE line per\n"
    "contradicting checkpoint on stderr. Stops on SIGINT or SIGTERM.\n";

static int usage_error(const char *cmd, const char *fmt, const char *a)
{
    fprintf(stderr, "tenderwitness%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, a);
    fprintf(stderr, "\n(tenderwitness %s%s--help for usage)\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

typedef struct args {
    const char *state, *name, *listen;
    const char *logs[WIT_MAX_LOGS];
    size_t n_logs;
    bool help;
} args;

/* Parse the flags of cmd; allowed is a space-separated list of its flags. */
static int parse_flags(const char *cmd, const char *allowed, int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            a->help = true;
            return 0;
        }
        char word[64];
        snprintf(word, sizeof word, " %s ", f);
        char list[128];
        snprintf(list, sizeof list, " %s ", allowed);
        if (strncmp(f, "--", 2) != 0 || !strstr(list, word))
            return usage_error(cmd, "unknown argument %s", f);
        if (i + 1 >= argc)
            return usage_error(cmd, "%s needs a value", f);
        const char *v = argv[++i];
        if (strcmp(f, "--log") == 0) {
            if (a->n_logs == WIT_MAX_LOGS)
                return usage_error(cmd, "more than %s --log keys", "64");
            a->logs[a->n_logs++] = v;
            continue;
        }
        const char **slot = strcmp(f, "--state") == 0  ? &a->state
                            : strcmp(f, "--name") == 0 ? &a->name
                                                       : &a->listen;
        if (*slot)
            return usage_error(cmd, "%s given twice", f);
        *slot = v;
    }
    return 0;
}

static int open_state(wit *w, const char *dir)
{
    char err[5000];
    if (wit_open(w, dir, err, sizeof err) != 0) {
        fprintf(stderr, "tenderwitness: %s\n", err);
        wit_close(w);
        return -1;
    }
    return 0;
}

static int print_vkey(wit *w)
{
    char vkey[TND_NOTE_VKEY_MAX];
    if (wit_vkey(w, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderwitness: cannot format the witness's key\n");
        return EXIT_FAIL;
    }
    printf("%s\n", vkey);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static int cmd_init(int argc, char **argv)
{
    args a;
    int rc = parse_flags("init", "--state --name", argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help)
        return fputs(init_help, stdout), EXIT_OK;
    if (!a.state || !a.name)
        return usage_error("init", "%s", "--state DIR and --name NAME are required");
    if (!wit_name_ok(a.name))
        return usage_error("init",
                           "--name %s: a witness name is 1..255 bytes of UTF-8 without spaces, '+' "
                           "or control characters, e.g. audit.example/witness",
                           a.name);
    char err[5000];
    if (wit_init(a.state, a.name, err, sizeof err) != 0) {
        fprintf(stderr, "tenderwitness init: %s\n", err);
        return EXIT_FAIL;
    }
    wit w;
    if (open_state(&w, a.state) != 0)
        return EXIT_FAIL;
    rc = print_vkey(&w);
    wit_close(&w);
    return rc;
}

static int cmd_print_key(int argc, char **argv)
{
    args a;
    int rc = parse_flags("print-key", "--state", argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help)
        return fputs(print_help, stdout), EXIT_OK;
    if (!a.state)
        return usage_error("print-key", "%s", "--state DIR is required");
    wit w;
    if (open_state(&w, a.state) != 0)
        return EXIT_FAIL;
    rc = print_vkey(&w);
    wit_close(&w);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    args a;
    int rc = parse_flags("serve", "--state --listen --log", argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help)
        return fputs(serve_help, stdout), EXIT_OK;
    if (!a.state || !a.listen || a.n_logs == 0)
        return usage_error("serve", "%s",
                           "--state DIR, --listen HOST:PORT and at least one --log VKEY are "
                           "required");
    /* The listener's threads inherit the mask: the signals wait for sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    wit w;
    if (open_state(&w, a.state) != 0)
        return EXIT_FAIL;
    char err[5000];
    if (wit_lock(&w, err, sizeof err) != 0) {
        fprintf(stderr, "tenderwitness serve: %s\n", err);
        wit_close(&w);
        return EXIT_FAIL;
    }
    for (size_t i = 0; i < a.n_logs; i++)
        if (wit_add_log_key(&w, a.logs[i], err, sizeof err) != 0) {
            wit_close(&w);
            return usage_error("serve", "%s", err);
        }
    wit_http *h;
    if (wit_http_start(&w, a.listen, &h, err, sizeof err) != 0) {
        fprintf(stderr, "tenderwitness serve: %s\n", err);
        wit_close(&w);
        return EXIT_FAIL;
    }
    char vkey[TND_NOTE_VKEY_MAX] = "?";
    (void)wit_vkey(&w, vkey, sizeof vkey);
    for (size_t i = 0; i < w.n_logs; i++) {
        const wit_log *l = &w.logs[i];
        char size[24] = "none";
        if (l->have)
            snprintf(size, sizeof size, "%llu", (unsigned long long)l->cp.size);
        tnd_log(TND_LOG_INFO, "log", "origin", l->origin, "trusted", l->configured ? "yes" : "no",
                "cosigned_size", size, NULL);
    }
    tnd_log(TND_LOG_INFO, "serving", "listen", a.listen, "witness", vkey, "state", a.state, NULL);
    int sig = 0;
    sigwait(&stop, &sig);
    tnd_log(TND_LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
    wit_http_stop(h);
    wit_close(&w);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fputs(usage_text, stderr), EXIT_USAGE;
    const char *c = argv[1];
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0)
        return fputs(usage_text, stdout), EXIT_OK;
    if (strcmp(c, "init") == 0)
        return cmd_init(argc - 2, argv + 2);
    if (strcmp(c, "print-key") == 0)
        return cmd_print_key(argc - 2, argv + 2);
    if (strcmp(c, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    return usage_error(NULL, "unknown command %s", c);
}
