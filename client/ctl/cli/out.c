/* Output helpers of tenderctl: error lines and enum names. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "ctl.h"

void ctl_err(const char *fmt, ...)
{
    va_list ap;
    fputs("tenderctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int ctl_status_fail(const tnd_status_info *st)
{
    ctl_err("%s: %s", tnd_status_name(st->code), st->message[0] ? st->message : "(no message)");
    return CTL_EXIT_STATUS + (st->code >= 0 && st->code <= 16 ? st->code : 2);
}

const char *ctl_enum_lower(const tnd_enum_desc *e, int v, char *buf, size_t len)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number == v) {
            size_t k = 0;
            for (const char *s = e->values[i].name; *s && k + 1 < len; s++)
                buf[k++] = (char)tolower((unsigned char)*s);
            buf[k] = '\0';
            return buf;
        }
    snprintf(buf, len, "%d", v);
    return buf;
}

int ctl_oom(void)
{
    ctl_err("out of memory");
    return CTL_EXIT_FAIL;
}

int ctl_reply_fail(const tnd_arena *arena, const tnd_status_info *st)
{
    if (!tnd_arena_failed(arena))
        return ctl_status_fail(st);
    ctl_err("out of memory reading the server's answer");
    return CTL_EXIT_FAIL;
}
