/* Test support for the end-to-end tests of tenderctl: the real
 * $BUILD/bin/tenderd runs as a child process on a free loopback port with a
 * fresh PKI, and every step runs the real $BUILD/bin/tenderctl as one of the
 * PKI's identities, capturing its exit status, stdout and stderr in R.
 * Include after cmocka.h. */
#ifndef TND_TEST_CTLRUN_H
#define TND_TEST_CTLRUN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define CTL_MAX_OUT (1 << 20)

/* The result of the last ctl() or ctl_in() run. */
extern struct ctl_result {
    int code;
    char out[CTL_MAX_OUT];
    char err[65536];
} R;

extern char ctl_dir[256];     /* the test folder */
extern char ctl_pki[300];     /* ctl_dir/pki: ca.crt, server.crt, officer.crt, ... */
extern char ctl_bin[300];     /* $BUILD/bin/tenderctl, absolute */
extern char ctl_srv_bin[300]; /* $BUILD/bin/tenderd, absolute */
extern int ctl_port;
extern pid_t ctl_srv_pid; /* 0 once stopped */
/* Where the next runs go: NULL (the default) is --server with the test
 * server's address; else ctl_server_arg is --server's value, or, when it is
 * "", no --server is given and TENDER_SERVER is ctl_server_env. */
extern const char *ctl_server_arg, *ctl_server_env;

/** Resolve the binaries under $BUILD (default build), make a temporary
 * folder from dir_template ("/tmp/tnd_x_XXXXXX") and a PKI in it. unset
 * lists environment variables (NULL-terminated; may be NULL) that every
 * tenderctl run clears besides TENDER_SERVER, TENDER_CA, TENDER_CERT and
 * TENDER_KEY. 0, or -1 with a message on stderr. */
int ctlrun_init(const char *dir_template, const char *const *unset);

/** `tenderd --db DB --print-log-key` into out (its one line, no newline). */
int ctlrun_print_log_key(const char *db, char *out, size_t len);

/** Start tenderd on a free port with the PKI and --db ctl_dir/db, its stderr
 * into ctl_dir/tenderd.log, and wait until it accepts connections. extra
 * (NULL-terminated; may be NULL) goes after --min-amend-period 0, before
 * --log-level warn. 0, or -1. */
int ctlrun_start_server(const char *const *extra);

/** Kill the server with SIGKILL if it still runs. */
void ctlrun_kill_server(void);

/** A cmocka group teardown: ctlrun_kill_server, then remove the folder. */
int ctlrun_teardown(void **state);

/** SIGTERM drains the server, which exits 0; then it starts again on the
 * same database and arguments (a new port), so the test may run anywhere in
 * a group. */
void test_server_stops_cleanly(void **state);

/** Start tenderctl as who ("officer", "supplier", ... or NULL: anonymous)
 * with the NULL-terminated arguments in ap, in folder cwd (NULL: ctl_dir),
 * stdout and stderr into the files out and err (NULL: /dev/null), after
 * delay_ms. Returns the child's pid. */
pid_t ctl_vspawn(const char *who, const char *cwd, const char *out, const char *err, int delay_ms,
                 va_list ap);

/** Start tenderctl as who with the NULL-terminated arguments after
 * delay_ms, in the test folder, its output dropped: a write while another
 * command runs. Returns the child's pid (ctl_wait it). */
pid_t ctl_later(int delay_ms, const char *who, ...);

/** Wait for a child; its exit code (128 + signal when killed). */
int ctl_wait(pid_t pid);

/** Run tenderctl as who in cwd and wait; the result lands in R. */
int ctl_vrun(const char *who, const char *cwd, va_list ap);

/** For a group setup, where cmocka's checks do not belong: did the last run
 * end with code, print out_has (when not NULL) and no sanitizer report?
 * false with what and the run shown on stderr. */
bool ctl_ok(const char *what, int code, const char *out_has);

/** ctl_vrun in the test folder. */
int ctl(const char *who, ...);

/** ctl_vrun in folder cwd. */
int ctl_in(const char *cwd, const char *who, ...);

/** name inside the test folder. */
void path(char *buf, size_t len, const char *name);

void write_file(const char *p, const void *data, size_t len);

/** Read a whole file into buf (NUL-terminated); returns its length or -1. */
long read_file(const char *p, char *buf, size_t cap);

/** The first line of the last stdout. */
const char *first_line(char *buf, size_t len);

/** Does text parse as JSON? (python3's json module is the judge.) */
bool json_ok(const char *text);

/** Lowercase hex SHA-256 of data. */
void sha_hex(const void *data, size_t len, char hex[65]);

/** RFC 3339 UTC text of now + days (whole seconds). */
const char *future(char *buf, size_t len, double days);

/** RFC 3339 UTC text of a time. */
const char *at(char *buf, size_t len, time_t t);

/** Sleep until t, and a little more. */
void sleep_until(time_t t);

/** `tenderctl keys gen NAME --dir ctl_dir/keys`: a committee member's key
 * pair; the public key (44 characters of base64) into pub. */
void ctl_keys_gen(const char *name, char *pub, size_t len);

/** The private key file `keys gen NAME` wrote into ctl_dir/keys. */
const char *key_file(const char *name, char *buf, size_t len);

/* Assert the last run ended with code; show its output when it did not. */
#define EXPECT(want)                                                                               \
    do {                                                                                           \
        if (R.code != (want))                                                                      \
            fail_msg("tenderctl exit %d, expected %d\nstdout: %s\nstderr: %s", R.code, (want),     \
                     R.out, R.err);                                                                \
    } while (0)

#define HAS(text, needle)                                                                          \
    do {                                                                                           \
        if (!strstr((text), (needle)))                                                             \
            fail_msg("expected \"%s\" in:\n%s", (needle), (text));                                 \
    } while (0)

#define HAS_NOT(text, needle)                                                                      \
    do {                                                                                           \
        if (strstr((text), (needle)))                                                              \
            fail_msg("did not expect \"%s\" in:\n%s", (needle), (text));                           \
    } while (0)

#endif
