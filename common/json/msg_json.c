/* Messages as JSON from their descriptors (msg_json.h). */
#include "msg_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tender/encoding.h"
#include "tender_schema.h"

json_t *tnd_json_str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    if (v)
        return v;
    char *copy = strdup(s);
    if (!copy)
        return json_null();
    for (unsigned char *p = (unsigned char *)copy; *p; p++)
        if (*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v ? v : json_null();
}

const char *tnd_json_time_text(int64_t seconds, uint32_t nanos, char *buf, size_t len)
{
    time_t t = (time_t)seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "@%lld", (long long)seconds);
        return buf;
    }
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (nanos && nanos < 1000000000u) {
        char frac[16];
        snprintf(frac, sizeof frac, ".%09u", nanos);
        size_t fl = strlen(frac);
        while (fl > 4 && frac[fl - 1] == '0' && frac[fl - 2] == '0' && frac[fl - 3] == '0')
            fl -= 3;
        frac[fl] = '\0';
        snprintf(buf + n, len - n, "%sZ", frac);
    } else {
        snprintf(buf + n, len - n, "Z");
    }
    return buf;
}

static json_t *bytes_json(const tnd_bytes *b, bool hex)
{
    char *text = malloc(hex ? 2 * b->len + 1 : TND_BASE64_LEN(b->len) + 1);
    if (!text)
        return json_null();
    if (hex)
        tnd_hex_encode(b->data, b->len, text);
    else
        tnd_base64_encode(b->data, b->len, text);
    json_t *v = json_string(text);
    free(text);
    return v;
}

static json_t *enum_json(const tnd_enum_desc *e, int32_t v)
{
    for (size_t i = 0; e && i < e->n_values; i++)
        if (e->values[i].number == v)
            return json_string(e->values[i].name);
    return json_integer(v); /* a value newer than this build */
}

static json_t *u64_json(uint64_t v)
{
    return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

/* One value of field fd stored at p (for messages: the struct itself). */
static json_t *value_json(const tnd_field_desc *fd, const void *p, bool hex)
{
    switch (fd->type) {
    case TND_T_BOOL:
        return json_boolean(*(const bool *)p);
    case TND_T_INT32:
        return json_integer(*(const int32_t *)p);
    case TND_T_INT64:
        return json_integer(*(const int64_t *)p);
    case TND_T_UINT32:
        return json_integer(*(const uint32_t *)p);
    case TND_T_UINT64:
        return u64_json(*(const uint64_t *)p);
    case TND_T_DOUBLE:
        return json_real(*(const double *)p);
    case TND_T_STRING:
        return tnd_json_str(*(char *const *)p);
    case TND_T_BYTES:
        return bytes_json(p, hex);
    case TND_T_ENUM:
        return enum_json(fd->enm, *(const int32_t *)p);
    case TND_T_MESSAGE:
        return tnd_json_msg(fd->msg, p);
    }
    return json_null();
}

json_t *tnd_json_msg(const tnd_msg_desc *d, const void *msg)
{
    if (!msg)
        return json_null();
    if (d == &tender_common_v1_Timestamp_desc) {
        const tender_common_v1_Timestamp *t = msg;
        char buf[64];
        return json_string(tnd_json_time_text(t->seconds, t->nanos, buf, sizeof buf));
    }
    const char *base = msg;
    json_t *o = json_object();
    for (size_t i = 0; o && i < d->n_fields; i++) {
        const tnd_field_desc *fd = &d->fields[i];
        const char *p = base + fd->offset;
        bool hex = strcmp(fd->name, "sha256") == 0;
        json_t *v;
        if (fd->label == TND_L_OPTIONAL && !*(const bool *)(base + fd->aux_offset))
            continue;
        if (fd->label == TND_L_REPEATED || fd->label == TND_L_MAP) {
            size_t n = *(const size_t *)(base + fd->aux_offset);
            const char *arr = *(char *const *)p;
            v = fd->label == TND_L_MAP ? json_object() : json_array();
            for (size_t k = 0; v && k < n; k++) {
                const char *el = arr + k * fd->elem_size;
                if (fd->label == TND_L_MAP)
                    json_object_set_new(v, *(char *const *)el,
                                        value_json(fd, el + fd->map_value_offset, hex));
                else
                    json_array_append_new(v, value_json(fd, el, hex));
            }
        } else if (fd->type == TND_T_MESSAGE) {
            v = tnd_json_msg(fd->msg, *(void *const *)p);
        } else {
            v = value_json(fd, p, hex);
        }
        json_object_set_new(o, fd->name, v ? v : json_null());
    }
    return o ? o : json_null();
}
