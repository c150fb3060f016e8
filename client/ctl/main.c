/* tenderctl: the command line client of tenderd. The table of its commands and
 * global options, the commands about tenderctl itself (help, completion, gen-man),
 * and main. */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include "cli/ctl.h"
#include "commands/commands.h"

static const ctl_optdef global_opts[] = {
    {.name = "--server", .kind = CTL_LIST, .at = offsetof(ctl_global, servers),
     .arg = "_HOST:PORT_", .max = TND_CLIENT_MAX_SERVERS,
     .help = "The server's address. Default: *127.0.0.1:7443*. For the nodes of a replicated\n"
             "group, repeat it or give a comma-separated list (at most 16 addresses): writes go\n"
             "to the writer whichever node answers first, and a node that cannot be reached is\n"
             "passed over (docs/SCALING.md, \"Clients\"). *TENDER_SERVER* takes the same list."},
    {.name = "--ca", .kind = CTL_FILE, .at = offsetof(ctl_global, ca), .arg = "_FILE_",
     .help = "The CA certificate that issued the server's certificate, PEM."},
    {.name = "--cert", .kind = CTL_FILE, .at = offsetof(ctl_global, cert), .arg = "_FILE_",
     .help = "A client certificate, PEM, for methods that need a role."},
    {.name = "--key", .kind = CTL_FILE, .at = offsetof(ctl_global, key), .arg = "_FILE_",
     .help = "Its private key, PEM. (After *open*, *--key* is the committee member's key "
             "instead.)"},
    {.name = "--timeout", .kind = CTL_SECONDS, .at = offsetof(ctl_global, timeout),
     .arg = "_SECONDS_", .help = "The deadline of each call, decimals allowed. Default: 30."},
    {.name = "--log-key", .kind = CTL_STRING, .at = offsetof(ctl_global, log_key),
     .arg = "_VKEY_",
     .help = "The transparency log's verifier key, the line *tenderd --print-log-key* prints,\n"
             "obtained from the log's operator out of band. Without it tenderctl asks the server\n"
             "for its key and warns on standard error: that trusts the server on first use."},
    {.name = "--witness-policy", .kind = CTL_FILE, .at = offsetof(ctl_global, witness_policy),
     .arg = "_FILE_",
     .help = "Trust only checkpoints the witnesses of this C2SP tlog-policy file have cosigned\n"
             "(*witness* _NAME_ _VKEY_ lines and a *quorum*; docs/WITNESS.md): *audit*\n"
             "commands and *bid receipt --verify* then use the latest witnessed checkpoint and\n"
             "refuse one without the quorum, naming the witnesses missing (exit 4). Also\n"
             "*TENDER_WITNESS_POLICY*."},
    {.name = "--witness", .kind = CTL_LIST, .at = offsetof(ctl_global, witnesses),
     .arg = "_VKEY_", .max = 32,
     .help = "Instead of a policy file: a witness's key, as *tenderwitness print-key* prints it;\n"
             "repeat for each. All of them must have cosigned, unless *--witness-threshold*."},
    {.name = "--witness-threshold", .kind = CTL_STRING,
     .at = offsetof(ctl_global, witness_threshold), .arg = "_K_",
     .help = "With *--witness*: how many of the witnesses given must have cosigned (1 to 32)."},
    {.name = "--request-id", .kind = CTL_STRING, .at = offsetof(ctl_global, request_id),
     .arg = "_ID_",
     .help = "The *x-request-id* of every call the command makes, so the server's log shows\n"
             "them under _ID_ (1 to 64 characters, no spaces or control characters). Default:\n"
             "a random id per call."},
    {.name = "--json", .kind = CTL_BOOL, .at = offsetof(ctl_global, json),
     .help = "Machine-readable output: the server's objects, enums by name, times in RFC 3339,\n"
             "bytes in base64, SHA-256 in hex."},
    {0},
};

static int help_run(ctl_global *g, const ctl_call *c)
{
    (void)g;
    ctl_help(stdout, c->root, c->root, "");
    return CTL_EXIT_OK;
}

static const ctl_cmd help_cmd = {.name = "help", .run = help_run, .hidden = true};

static int bash_run(ctl_global *g, const ctl_call *c)
{
    (void)g;
    ctl_completion_bash(stdout, c->root);
    return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

static const ctl_cmd bash_cmd = {
    .name = "bash",
    .summary = "the bash completion script",
    .about = "Print the bash completion script of tenderctl: commands, subcommands, flags, and\n"
             "files, folders or words for a flag's value. Load it with\n"
             "*source <(tenderctl completion bash)*; *make install* installs it.",
    .run = bash_run,
};

static const ctl_cmd completion_cmd = {
    .name = "completion",
    .summary = "shell completion (bash)",
    .subs = (const ctl_cmd *const[]){&bash_cmd, NULL},
};

/* The man page, from its template (docs/man/tenderctl.1.scd.in) and the table. */
static int man_run(ctl_global *g, const ctl_call *c)
{
    (void)g;
    if (c->n_pos != 1) {
        ctl_err("gen-man: give the template (docs/man/tenderctl.1.scd.in)");
        return CTL_EXIT_USAGE;
    }
    FILE *t = fopen(c->pos[0], "r");
    if (!t) {
        ctl_err("gen-man: %s: cannot open", c->pos[0]);
        return CTL_EXIT_FAIL;
    }
    int rc = ctl_man(stdout, t, c->pos[0], c->root);
    fclose(t);
    return rc == 0 && fflush(stdout) != 0 ? CTL_EXIT_FAIL : rc;
}

static const ctl_cmd man_cmd = {.name = "gen-man", .max_pos = 1, .run = man_run, .hidden = true};

static const ctl_cmd root = {
    .name = "tenderctl",
    .opts = global_opts,
    .about = "Exit status: 0 success; 1 local failure (files, PKI); 2 bad usage;\n"
             "3 health answered other than SERVING; 4 a signature, proof, receipt or share did\n"
             "not verify;\n"
             "10 + N when a call ended with gRPC status N\n"
             "(e.g. 24 = 10 + UNAVAILABLE, 26 = 10 + UNAUTHENTICATED). Errors go to stderr as\n"
             "\"tenderctl: STATUS_NAME: message\".",
    .subs =
        (const ctl_cmd *const[]){&ctl_cmd_health, &ctl_cmd_methods, &ctl_cmd_schema, &ctl_cmd_pki,
                                 &ctl_cmd_tender, &ctl_cmd_question, &ctl_cmd_audit, &ctl_cmd_keys,
                                 &ctl_cmd_bid, &ctl_cmd_open, &ctl_cmd_opening, &ctl_cmd_export,
                                 &ctl_cmd_award, &ctl_cmd_complaint, &ctl_cmd_backup,
                                 &completion_cmd, &help_cmd, &man_cmd, NULL},
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
    /* The environment first: flags, before or after the command, override it. */
    ctl_global g = {
        .server_env = env("TENDER_SERVER"),
        .ca = env("TENDER_CA"),
        .cert = env("TENDER_CERT"),
        .key = env("TENDER_KEY"),
        .log_key = env("TENDER_LOG_KEY"),
        .witness_policy = env("TENDER_WITNESS_POLICY"),
        .timeout = {.ms = 30000},
    };
    /* A server that closes on us must be an error message, not a kill. */
    signal(SIGPIPE, SIG_IGN);
    int rc = ctl_dispatch(&root, &g, argc, argv);
    free(g.witnesses.v);
    free(g.servers.v);
    return rc;
}
