/* tenderctl internals: global options, connecting, output helpers, commands.
 * tenderctl uses only the public libtender API (include/tender/) and the
 * generated message types. */
#ifndef TND_CTL_H
#define TND_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tender/client.h"

/* Exit codes (documented in `tenderctl --help`). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1        /* a local failure: files, PKI, out of memory */
#define CTL_EXIT_USAGE 2       /* bad command line */
#define CTL_EXIT_NOT_SERVING 3 /* health: the answer was not SERVING */
#define CTL_EXIT_STATUS 10     /* plus the gRPC status code of a failed call */

typedef struct ctl_global {
    const char *server, *ca, *cert, *key;
    uint32_t timeout_ms;
    bool timeout_given; /* --timeout on the command line */
    bool json;
} ctl_global;

/** If argv[*i] is a global option, consume it (and its value) and return 1;
 * 0 when it is not one; -1 (message printed) for a bad value. */
int ctl_global_option(ctl_global *g, int argc, char **argv, int *i);

/** Open a blocking client from the global options. Returns 0 or an exit code. */
int ctl_connect(const ctl_global *g, tnd_client **out);

/** Print "tenderctl: CODE_NAME: message" and return the matching exit code. */
int ctl_status_fail(const tnd_status_info *st);

/** Print "tenderctl: ..." to stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Write s as a JSON string (with quotes). */
void out_json_str(FILE *f, const char *s);

int cmd_health(ctl_global *g, int argc, char **argv);
int cmd_methods(ctl_global *g, int argc, char **argv);
int cmd_schema(ctl_global *g, int argc, char **argv);
int cmd_pki(ctl_global *g, int argc, char **argv);

#endif
