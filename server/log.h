/* Structured logs: one logfmt line per event on stderr,
 *   ts=2026-11-27T10:00:00.123Z level=info msg="call" method=... status=OK
 * Values are quoted and escaped when needed. No secrets, no bid contents. */
#ifndef TND_SERVER_LOG_H
#define TND_SERVER_LOG_H

#include <stdarg.h>

typedef enum tnd_log_level {
    TND_LOG_DEBUG = 0,
    TND_LOG_INFO = 1,
    TND_LOG_WARN = 2,
    TND_LOG_ERROR = 3,
} tnd_log_level;

/** Set the lowest level written (default info). */
void tnd_log_set_level(tnd_log_level level);

/** Parse "debug", "info", "warn", "error"; -1 if unknown. */
int tnd_log_level_parse(const char *name);

/** The name of a level ("info" for anything unknown). */
const char *tnd_log_level_name(int level);

/** Write one line: msg, then pairs of (key, value) strings ended by NULL.
 * A NULL value skips the pair. */
void tnd_log(tnd_log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
