/* Structured logs: one logfmt line per event on stderr,
 *   ts=2026-11-27T10:00:00.123Z level=info msg="call" method=... status=OK
 * Values are quoted and escaped when needed. No secrets, no bid contents:
 * callers log names, sizes, ids and status, never keys, shares, ciphertext
 * or request bodies (docs/OPERATIONS.md, Logs). */
#ifndef TND_SERVER_OPS_LOGGING_H
#define TND_SERVER_OPS_LOGGING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "clock.h"

typedef enum tnd_log_level {
    TND_LOG_DEBUG = 0,
    TND_LOG_INFO = 1,
    TND_LOG_WARN = 2,
    TND_LOG_ERROR = 3,
} tnd_log_level;

/** Set the lowest level written (default info). */
void tnd_log_set_level(tnd_log_level level);

/** Whether a line of this level would be written: lets a caller skip
 * formatting its values for a line that would be dropped. */
bool tnd_log_enabled(tnd_log_level level);

/** Date the lines by clock c (a server's manual clock, in tests) instead of
 * the real time; tnd_log_unset_clock(c) goes back to the real time if c is
 * still the one in use. */
void tnd_log_set_clock(const tnd_clock *c);
void tnd_log_unset_clock(const tnd_clock *c);

/** Parse "debug", "info", "warn", "error"; -1 if unknown. */
int tnd_log_level_parse(const char *name);

/** The name of a level ("info" for anything unknown). */
const char *tnd_log_level_name(int level);

/** Where lines go instead of stderr: fn gets each whole line (ending in
 * '\n', not NUL-terminated), from whichever thread logs (the loop, the
 * store's writer). NULL: stderr again. Set it before the server starts. */
typedef void (*tnd_log_sink_fn)(const char *line, size_t len, void *arg);
void tnd_log_set_sink(tnd_log_sink_fn fn, void *arg);

/** Hold (on) the calling thread's debug and info lines in memory until
 * tnd_log_flush, which writes them to stderr in one write; a warn or error
 * line writes what is held, then itself, at once. Off writes what is held
 * and holds no more. tenderd's event loop holds its lines (one per call)
 * and flushes them once a turn, before it waits for I/O, so a busy server
 * does not pay a system call per call and an idle one keeps nothing back.
 * Lines that go to a sink (tnd_log_set_sink) are never held. */
void tnd_log_hold(bool on);
void tnd_log_flush(void);

/** Write one line: msg, then pairs of (key, value) strings ended by NULL.
 * A NULL value skips the pair. */
void tnd_log(tnd_log_level level, const char *msg, ...) __attribute__((sentinel));

/** As tnd_log with the pairs in an array: kv[2i] a key, kv[2i+1] its value. */
void tnd_log_pairs(tnd_log_level level, const char *msg, const char *const *kv, size_t n_pairs);

#endif
