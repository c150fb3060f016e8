/* Values typed on the command line, parsed exactly: RFC 3339 times,
 * decimal amounts in a currency's minor units (never through floating
 * point), base64 keys; and the text forms tenderctl prints back. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "tender/currency.h"
#include "tender/encoding.h"
#include "json/msg_json.h"

#define TIME_HINT "expected RFC 3339 such as 2026-12-01T10:00:00Z or 2026-12-01T19:00:00+09:00"

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Read exactly n digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

int ctl_parse_time(const char *s, int64_t *seconds, uint32_t *nanos, char *err, size_t len)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    uint32_t ns = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d) || (*p != 'T' && *p != 't') || !(p++, digits(&p, 2, &h)) ||
        *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &sec))
        goto bad;
    if (*p == '.') {
        p++;
        int n = 0;
        for (; isdigit((unsigned char)*p); p++, n++)
            if (n < 9)
                ns = ns * 10 + (uint32_t)(*p - '0');
        if (n == 0)
            goto bad;
        if (n > 9) {
            snprintf(err, len, "\"%s\": more than 9 digits of fractions of a second", s);
            return -1;
        }
        for (; n < 9; n++)
            ns *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om))
            goto bad;
    } else {
        if (*p == '\0') {
            snprintf(err, len, "\"%s\": give the time zone, Z for UTC or an offset like +09:00", s);
            return -1;
        }
        goto bad;
    }
    if (*p != '\0')
        goto bad;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59) {
        snprintf(err, len, "\"%s\": no such date or time%s", s,
                 sec == 60 ? " (leap seconds are not accepted)" : "");
        return -1;
    }
    *seconds =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    *nanos = ns;
    return 0;
bad:
    snprintf(err, len, "\"%s\": %s", s, TIME_HINT);
    return -1;
}

const char *ctl_time_text(int64_t seconds, uint32_t nanos, char *buf, size_t len)
{
    return tnd_json_time_text(seconds, nanos, buf, len);
}

int ctl_currency(const char *in, char code[4], int *exp, char *err, size_t len)
{
    return tnd_currency_parse(in, code, exp, err, len);
}

int ctl_parse_amount(const char *s, const char *code, int exp, int64_t *minor, char *err,
                     size_t len)
{
    return tnd_amount_parse(s, code, exp, minor, err, len);
}

const char *ctl_money_text(int64_t minor, const char *code, char *buf, size_t len)
{
    int exp = tnd_currency_exp(code);
    uint64_t u = minor < 0 ? 0 - (uint64_t)minor : (uint64_t)minor, scale = 1;
    for (int i = 0; i < exp; i++)
        scale *= 10;
    if (exp == 0)
        snprintf(buf, len, "%s%llu %s", minor < 0 ? "-" : "", (unsigned long long)u,
                 code && *code ? code : "?");
    else
        snprintf(buf, len, "%s%llu.%0*llu %s", minor < 0 ? "-" : "",
                 (unsigned long long)(u / scale), exp, (unsigned long long)(u % scale),
                 code && *code ? code : "?");
    return buf;
}

long ctl_base64_decode(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s), len;
    if (n == 0 || tnd_base64_decode(s, n, out, cap, &len) != 0)
        return -1;
    return (long)len;
}

void ctl_base64_encode(const uint8_t *data, size_t len, char *out)
{
    tnd_base64_encode(data, len, out);
}

const char *ctl_hex(const uint8_t *data, size_t len, char *out)
{
    return tnd_hex_encode(data, len, out);
}

const char *ctl_media_type(const char *name)
{
    static const char *const types[][2] = {
        {"pdf", "application/pdf"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"zip", "application/zip"},
        {"txt", "text/plain"},
        {"csv", "text/csv"},
        {"json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
            if (strcasecmp(dot + 1, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

int ctl_enum_parse(const tnd_enum_desc *e, const char *name)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number > 0 && strcasecmp(e->values[i].name, name) == 0)
            return e->values[i].number;
    return -1;
}
