/* logfmt lines on stderr (see logging.h). */
#include "logging.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int min_level = TND_LOG_INFO; /* set once at start-up from the config */
static const tnd_clock *_Atomic log_clock;   /* NULL: the real time */
/* Set before the server's threads start (tests capture lines with it). */
static tnd_log_sink_fn sink;
static void *sink_arg;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Lines this thread holds for tnd_log_flush (tnd_log_hold): NULL when it
 * holds none, as every thread but the event loop's. */
#define HELD_CAP (64u * 1024u)
static _Thread_local char *held;
static _Thread_local size_t held_len;

void tnd_log_set_level(tnd_log_level level)
{
    min_level = (int)level;
}

bool tnd_log_enabled(tnd_log_level level)
{
    return (int)level >= min_level;
}

void tnd_log_set_clock(const tnd_clock *c)
{
    log_clock = c;
}

void tnd_log_unset_clock(const tnd_clock *c)
{
    atomic_compare_exchange_strong(&log_clock, &c, NULL);
}

void tnd_log_set_sink(tnd_log_sink_fn fn, void *arg)
{
    sink = fn;
    sink_arg = arg;
}

int tnd_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *tnd_log_level_name(int level)
{
    return level >= 0 && level < 4 ? level_names[level] : "info";
}

/* Append n bytes of s to buf at at, as far as cap allows; like snprintf,
 * return where the text would end (a line that is too long is cut). */
static size_t put_raw(char *buf, size_t at, size_t cap, const char *s, size_t n)
{
    if (at < cap)
        memcpy(buf + at, s, n < cap - at ? n : cap - at);
    return at + n;
}

/* Append value to buf, quoted and escaped when it holds spaces, quotes,
 * '=' or control bytes, so every line parses as logfmt. */
static size_t put_value(char *buf, size_t at, size_t cap, const char *v)
{
    bool quote = *v == '\0';
    const char *end = v;
    for (; *end && !quote; end++)
        quote = *end <= ' ' || *end == '"' || *end == '=' || (unsigned char)*end >= 0x7f;
    if (!quote)
        return put_raw(buf, at, cap, v, (size_t)(end - v));
    if (at < cap)
        buf[at] = '"';
    at++;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (at + 6 >= cap)
            break;
        if (*p == '"' || *p == '\\')
            at += (size_t)snprintf(buf + at, cap - at, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            at += (size_t)snprintf(buf + at, cap - at, "\\x%02x", *p);
        else
            buf[at++] = (char)*p;
    }
    if (at < cap)
        buf[at] = '"';
    return at + 1;
}

/* A line being built: at most 2 KiB; longer lines are cut, still one line. */
typedef struct line {
    char buf[2048];
    size_t at;
} line;

static void line_start(line *l, tnd_log_level level, const char *msg)
{
    const size_t cap = sizeof l->buf - 2;
    struct timespec ts;
    struct tm tm;
    const tnd_clock *c = log_clock;
    if (c) {
        int64_t ms = tnd_clock_ms(c);
        ts.tv_sec = (time_t)(ms / 1000);
        ts.tv_nsec = (long)(ms % 1000) * 1000000;
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
    }
    /* The date and time to the second, formatted once a second per thread:
     * a busy loop logs thousands of lines within the same second. */
    static _Thread_local time_t second = -1;
    static _Thread_local char stamp[32];
    static _Thread_local size_t stamp_len;
    if (ts.tv_sec != second) {
        gmtime_r(&ts.tv_sec, &tm);
        stamp_len = (size_t)snprintf(stamp, sizeof stamp, "ts=%04d-%02d-%02dT%02d:%02d:%02d.",
                                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                     tm.tm_min, tm.tm_sec);
        second = ts.tv_sec;
    }
    long ms = ts.tv_nsec / 1000000;
    char frac[4] = {(char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10)};
    const char *name = level_names[level];
    l->at = put_raw(l->buf, 0, cap, stamp, stamp_len);
    l->at = put_raw(l->buf, l->at, cap, frac, 3);
    l->at = put_raw(l->buf, l->at, cap, "Z level=", 8);
    l->at = put_raw(l->buf, l->at, cap, name, strlen(name));
    l->at = put_raw(l->buf, l->at, cap, " msg=", 5);
    l->at = put_value(l->buf, l->at, cap, msg);
}

static void line_pair(line *l, const char *k, const char *v)
{
    const size_t cap = sizeof l->buf - 2;
    if (!v || l->at >= cap)
        return;
    l->at = put_raw(l->buf, l->at, cap, " ", 1);
    l->at = put_raw(l->buf, l->at, cap, k, strlen(k));
    l->at = put_raw(l->buf, l->at, cap, "=", 1);
    l->at = put_value(l->buf, l->at, cap, v);
}

void tnd_log_flush(void)
{
    if (held && held_len > 0)
        fwrite(held, 1, held_len, stderr);
    held_len = 0;
}

void tnd_log_hold(bool on)
{
    tnd_log_flush();
    if (on && !held)
        held = malloc(HELD_CAP); /* without it, lines go out one by one */
    if (!on) {
        free(held);
        held = NULL;
    }
}

static void line_end(line *l, tnd_log_level level)
{
    const size_t cap = sizeof l->buf - 2;
    if (l->at > cap)
        l->at = cap;
    l->buf[l->at++] = '\n';
    if (sink) {
        sink(l->buf, l->at, sink_arg);
        return;
    }
    if (held && level < TND_LOG_WARN) {
        if (held_len + l->at > HELD_CAP)
            tnd_log_flush();
        memcpy(held + held_len, l->buf, l->at);
        held_len += l->at;
        return;
    }
    tnd_log_flush(); /* what came before this line goes first */
    fwrite(l->buf, 1, l->at, stderr);
}

void tnd_log(tnd_log_level level, const char *msg, ...)
{
    if ((int)level < min_level)
        return;
    line l;
    line_start(&l, level, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        line_pair(&l, k, va_arg(ap, const char *));
    }
    va_end(ap);
    line_end(&l, level);
}

void tnd_log_pairs(tnd_log_level level, const char *msg, const char *const *kv, size_t n_pairs)
{
    if ((int)level < min_level)
        return;
    line l;
    line_start(&l, level, msg);
    for (size_t i = 0; i < n_pairs; i++)
        line_pair(&l, kv[2 * i], kv[2 * i + 1]);
    line_end(&l, level);
}
