/* JSON output of generated messages, driven by their descriptors, and enum
 * names for text output. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "tender_schema.h"

static void value(FILE *f, const tnd_field_desc *fd, const void *p, bool hex);

static void bytes_out(FILE *f, const tnd_bytes *b, bool hex)
{
    char *text = malloc(hex ? 2 * b->len + 1 : 4 * ((b->len + 2) / 3) + 1);
    if (!text) {
        fputs("null", f);
        return;
    }
    if (hex)
        ctl_hex(b->data, b->len, text);
    else
        ctl_base64_encode(b->data, b->len, text);
    out_json_str(f, text);
    free(text);
}

static void enum_out(FILE *f, const tnd_enum_desc *e, int32_t v)
{
    for (size_t i = 0; e && i < e->n_values; i++)
        if (e->values[i].number == v) {
            out_json_str(f, e->values[i].name);
            return;
        }
    fprintf(f, "%d", (int)v);
}

/* One value of field fd stored at p (for messages: the struct itself). */
static void value(FILE *f, const tnd_field_desc *fd, const void *p, bool hex)
{
    switch (fd->type) {
    case TND_T_BOOL:
        fputs(*(const bool *)p ? "true" : "false", f);
        break;
    case TND_T_INT32:
        fprintf(f, "%d", (int)*(const int32_t *)p);
        break;
    case TND_T_INT64:
        fprintf(f, "%lld", (long long)*(const int64_t *)p);
        break;
    case TND_T_UINT32:
        fprintf(f, "%u", (unsigned)*(const uint32_t *)p);
        break;
    case TND_T_UINT64:
        fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case TND_T_DOUBLE:
        fprintf(f, "%.17g", *(const double *)p);
        break;
    case TND_T_STRING:
        out_json_str(f, *(char *const *)p);
        break;
    case TND_T_BYTES:
        bytes_out(f, p, hex);
        break;
    case TND_T_ENUM:
        enum_out(f, fd->enm, *(const int32_t *)p);
        break;
    case TND_T_MESSAGE:
        out_json_msg(f, fd->msg, p);
        break;
    }
}

void out_json_msg(FILE *f, const tnd_msg_desc *d, const void *msg)
{
    if (!msg) {
        fputs("null", f);
        return;
    }
    if (d == &tender_common_v1_Timestamp_desc) {
        const tender_common_v1_Timestamp *t = msg;
        char buf[64];
        out_json_str(f, ctl_time_text(t->seconds, t->nanos, buf, sizeof buf));
        return;
    }
    const char *base = msg;
    bool first = true;
    fputc('{', f);
    for (size_t i = 0; i < d->n_fields; i++) {
        const tnd_field_desc *fd = &d->fields[i];
        const char *p = base + fd->offset;
        bool hex = strcmp(fd->name, "sha256") == 0;
        if (fd->label == TND_L_OPTIONAL && !*(const bool *)(base + fd->aux_offset))
            continue;
        fputs(first ? "" : ",", f);
        first = false;
        out_json_str(f, fd->name);
        fputc(':', f);
        if (fd->label == TND_L_REPEATED || fd->label == TND_L_MAP) {
            size_t n = *(const size_t *)(base + fd->aux_offset);
            const char *arr = *(char *const *)p;
            fputc(fd->label == TND_L_MAP ? '{' : '[', f);
            for (size_t k = 0; k < n; k++) {
                const char *el = arr + k * fd->elem_size;
                fputs(k ? "," : "", f);
                if (fd->label == TND_L_MAP) {
                    out_json_str(f, *(char *const *)el);
                    fputc(':', f);
                    el += fd->map_value_offset;
                }
                value(f, fd, el, hex);
            }
            fputc(fd->label == TND_L_MAP ? '}' : ']', f);
        } else if (fd->type == TND_T_MESSAGE) {
            out_json_msg(f, fd->msg, *(void *const *)p);
        } else {
            value(f, fd, p, hex);
        }
    }
    fputc('}', f);
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

int ctl_enum_parse(const tnd_enum_desc *e, const char *name)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number > 0 && strcasecmp(e->values[i].name, name) == 0)
            return e->values[i].number;
    return -1;
}
