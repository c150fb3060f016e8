/* What a request must carry beyond its limits: the schema's `required` and
 * `len` field options (tnd_msg_check_rules in codec.h). */
#include <stdio.h>
#include <string.h>

#include "tender/codec.h"

typedef struct rules {
    char path[160]; /* "decision.tender_id"; long paths are cut, never overflowed */
    size_t len;
    tnd_codec_err *err;
} rules;

static size_t path_push(rules *r, const char *fmt, const char *name, size_t index)
{
    size_t at = r->len;
    int n = name ? snprintf(r->path + at, sizeof r->path - at, fmt, name)
                 : snprintf(r->path + at, sizeof r->path - at, fmt, index);
    if (n > 0)
        r->len = at + (size_t)n < sizeof r->path ? at + (size_t)n : sizeof r->path - 1;
    return at;
}

/* A field's own refusal (required = "...") replaces the path-based one. */
static int fail(rules *r, const tnd_field_desc *f, const char *what, uint32_t n)
{
    if (r->err) {
        if (f->required_msg)
            snprintf(r->err->text, sizeof r->err->text, "%s", f->required_msg);
        else if (what)
            snprintf(r->err->text, sizeof r->err->text, "%s: %s", r->path, what);
        else
            snprintf(r->err->text, sizeof r->err->text, "%s: %u bytes", r->path, n);
    }
    return TND_EINVAL;
}

/* How many bytes a singular string or bytes field holds; 0 when absent. */
static size_t value_len(const tnd_field_desc *f, const void *at)
{
    if (f->type == TND_T_STRING) {
        const char *s = *(char *const *)at;
        return s ? strlen(s) : 0;
    }
    return ((const tnd_bytes *)at)->len;
}

static int check_msg(rules *r, const tnd_msg_desc *d, const void *msg, int depth);

static int check_field(rules *r, const tnd_field_desc *f, const void *msg, int depth)
{
    const char *base = msg;
    const void *at = base + f->offset;
    bool single = f->label == TND_L_SINGULAR || f->label == TND_L_OPTIONAL;
    if (single && (f->type == TND_T_STRING || f->type == TND_T_BYTES)) {
        size_t n = value_len(f, at);
        if (f->required && n == 0)
            return fail(r, f, "required", 0);
        if (f->len && n != 0 && n != f->len)
            return fail(r, f, NULL, f->len);
        return 0;
    }
    if (f->type != TND_T_MESSAGE)
        return 0;
    if (single) {
        const void *sub = *(void *const *)at;
        if (!sub && f->required)
            return fail(r, f, "required", 0);
        /* An absent message: only its own required fields are missing. */
        if (!sub) {
            for (size_t i = 0; i < f->msg->n_fields; i++) {
                const tnd_field_desc *g = &f->msg->fields[i];
                if (g->required) {
                    path_push(r, ".%s", g->name, 0);
                    return fail(r, g, "required", 0);
                }
            }
            return 0;
        }
        return check_msg(r, f->msg, sub, depth + 1);
    }
    if (f->label != TND_L_REPEATED)
        return 0;
    const char *items = *(char *const *)at;
    size_t count = *(const size_t *)(base + f->aux_offset);
    for (size_t i = 0; i < count; i++) {
        size_t keep = path_push(r, "[%zu]", NULL, i);
        int rc = check_msg(r, f->msg, items + i * f->elem_size, depth + 1);
        if (rc)
            return rc;
        r->len = keep;
        r->path[keep] = '\0';
    }
    return 0;
}

static int check_msg(rules *r, const tnd_msg_desc *d, const void *msg, int depth)
{
    /* The decoder already refused anything deeper; a hand-built cycle stops here. */
    if (depth > TND_MSGPACK_MAX_DEPTH)
        return 0;
    for (size_t i = 0; i < d->n_fields; i++) {
        const tnd_field_desc *f = &d->fields[i];
        size_t keep = path_push(r, r->len ? ".%s" : "%s", f->name, 0);
        int rc = check_field(r, f, msg, depth);
        if (rc)
            return rc;
        r->len = keep;
        r->path[keep] = '\0';
    }
    return 0;
}

int tnd_msg_check_rules(const tnd_msg_desc *d, const void *msg, tnd_codec_err *err)
{
    rules r = {.len = 0, .err = err};
    r.path[0] = '\0';
    return check_msg(&r, d, msg, 0);
}
