/* Settings' values: text to field and back, with units.
 * A number is digits and an optional unit: 4MiB, 16384, 10s, 3d. A bare
 * number is in the setting's own unit (bytes, ms, seconds, a count). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "ops/logging.h"

struct unit_suffix {
    const char *name;
    uint64_t mult;
};

/* Largest first: tnd_setting_format picks the first that divides exactly. */
static const struct unit_suffix byte_units[] = {
    {"TiB", 1ull << 40}, {"GiB", 1ull << 30}, {"MiB", 1ull << 20},
    {"KiB", 1ull << 10}, {"T", 1ull << 40},   {"G", 1ull << 30},
    {"M", 1ull << 20},   {"K", 1ull << 10},   {"B", 1},
    {NULL, 0},
};

static const struct unit_suffix time_units[] = {
    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"min", 60000},
    {"s", 1000},     {"ms", 1},      {NULL, 0},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static const struct unit_suffix *units_of(tnd_setting_unit u)
{
    switch (u) {
    case TND_UNIT_BYTES:
        return byte_units;
    case TND_UNIT_MS:
    case TND_UNIT_SECONDS:
        return time_units;
    case TND_UNIT_COUNT:
        break;
    }
    return NULL;
}

/* What a bare number is multiplied by to get the stored unit. */
static uint64_t bare_mult(tnd_setting_unit u)
{
    return u == TND_UNIT_SECONDS ? 1000 : 1;
}

static const char *unit_hint(tnd_setting_unit u)
{
    switch (u) {
    case TND_UNIT_BYTES:
        return "bytes, or with KiB, MiB, GiB or TiB";
    case TND_UNIT_MS:
        return "milliseconds, or with ms, s, m, h or d";
    case TND_UNIT_SECONDS:
        return "seconds, or with ms, s, m, h or d";
    case TND_UNIT_COUNT:
        break;
    }
    return "a count";
}

/* Write v (stored unit) as text: with the largest unit that divides it. */
static void format_number(uint64_t v, tnd_setting_unit u, char *buf, size_t len)
{
    const struct unit_suffix *units = units_of(u);
    if (v != 0 && units)
        for (const struct unit_suffix *s = units; s->name; s++)
            if (v % s->mult == 0 && (s->mult > 1 || u == TND_UNIT_MS || u == TND_UNIT_SECONDS)) {
                snprintf(buf, len, "%" PRIu64 "%s", v / s->mult, s->name);
                return;
            }
    snprintf(buf, len, "%" PRIu64, v);
}

static int parse_number(const tnd_setting *s, const char *text, uint64_t *out, char *err,
                        size_t errlen)
{
    if (!isdigit((unsigned char)text[0]))
        return fail(err, errlen, "\"%s\": expected a whole number (%s)", text, unit_hint(s->unit));
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return fail(err, errlen, "\"%s\": number too large", text);
    while (*end == ' ' || *end == '\t')
        end++;
    uint64_t mult = bare_mult(s->unit);
    if (*end) {
        const struct unit_suffix *units = units_of(s->unit), *u = NULL;
        for (const struct unit_suffix *p = units; p && p->name && !u; p++)
            if (strcasecmp(end, p->name) == 0 && strcmp(p->name, "m") != 0)
                u = p;
        /* "m" is minutes, "M" mebibytes: only these two are case-sensitive. */
        for (const struct unit_suffix *p = units; p && p->name && !u; p++)
            if (strcmp(end, p->name) == 0)
                u = p;
        if (!u)
            return fail(err, errlen, "\"%s\": unknown unit \"%s\" (%s)", text, end,
                        unit_hint(s->unit));
        mult = u->mult;
    }
    if (n > UINT64_MAX / mult)
        return fail(err, errlen, "\"%s\": number too large", text);
    uint64_t v = (uint64_t)n * mult;
    if (v < s->min || v > s->max) {
        char lo[32], hi[32];
        format_number(s->min, s->unit, lo, sizeof lo);
        format_number(s->max, s->unit, hi, sizeof hi);
        return fail(err, errlen, "\"%s\": out of range (%s to %s)", text, lo, hi);
    }
    *out = v;
    return 0;
}

int tnd_setting_set(tnd_config *c, const tnd_setting *s, const char *text, char *err, size_t errlen)
{
    char *field = (char *)c + s->offset;
    switch (s->type) {
    case TND_SET_STRING: {
        size_t n = strlen(text);
        if (n < s->min)
            return fail(err, errlen, "must not be empty");
        if (n > s->max)
            return fail(err, errlen, "longer than %" PRIu64 " characters", s->max);
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                return fail(err, errlen, "control characters are not allowed");
        memcpy(field, text, n + 1);
        return 0;
    }
    case TND_SET_LOGLEVEL: {
        int level = tnd_log_level_parse(text);
        if (level < 0)
            return fail(err, errlen, "\"%s\": use debug, info, warn or error", text);
        memcpy(field, &level, sizeof level);
        return 0;
    }
    case TND_SET_U32: {
        uint64_t v;
        if (parse_number(s, text, &v, err, errlen) != 0)
            return -1;
        uint32_t v32 = (uint32_t)v; /* the row's max keeps it in range */
        memcpy(field, &v32, sizeof v32);
        return 0;
    }
    case TND_SET_U64: {
        uint64_t v;
        if (parse_number(s, text, &v, err, errlen) != 0)
            return -1;
        memcpy(field, &v, sizeof v);
        return 0;
    }
    }
    return fail(err, errlen, "unknown setting type");
}

void tnd_setting_format(const tnd_config *c, const tnd_setting *s, char *buf, size_t len)
{
    const char *field = (const char *)c + s->offset;
    switch (s->type) {
    case TND_SET_STRING:
        snprintf(buf, len, "%s", field);
        return;
    case TND_SET_LOGLEVEL: {
        int level;
        memcpy(&level, field, sizeof level);
        snprintf(buf, len, "%s", tnd_log_level_name(level));
        return;
    }
    case TND_SET_U32: {
        uint32_t v;
        memcpy(&v, field, sizeof v);
        format_number(v, s->unit, buf, len);
        return;
    }
    case TND_SET_U64: {
        uint64_t v;
        memcpy(&v, field, sizeof v);
        format_number(v, s->unit, buf, len);
        return;
    }
    }
    snprintf(buf, len, "?");
}
