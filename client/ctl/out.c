/* Output helpers of tenderctl: JSON strings and error lines. */
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

void out_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}
