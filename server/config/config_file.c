/* tenderd's configuration file: INI read with libinih, every key checked
 * against the settings table. The first problem is reported as
 * "FILE:LINE: message"; nothing half-read is used (the caller exits). */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct file_read {
    tnd_config *c;
    FILE *f;
    int lineno;   /* of the line inih is working on (we hand it lines) */
    int err_line; /* the first problem's line; 0 none */
    char msg[400];
    int *set_on; /* per table row: the line that set it, 0 not yet */
};

static void problem(struct file_read *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct file_read *r, const char *fmt, ...)
{
    if (r->err_line)
        return; /* keep the first */
    r->err_line = r->lineno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

static bool known_section(const char *name)
{
    for (size_t i = 0; i < tnd_config_rows_count; i++)
        if (strcmp(tnd_config_rows[i].section, name) == 0)
            return true;
    return false;
}

/* A "[name]" line: an unknown section is an error even when it holds no keys
 * (inih only reports sections through their keys). */
static void check_section_line(struct file_read *r, const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line != '[')
        return;
    const char *close = strchr(line, ']');
    if (!close)
        return; /* inih reports the syntax error */
    char name[64];
    size_t n = (size_t)(close - line - 1);
    if (n >= sizeof name) {
        problem(r, "unknown section [%.*s...]", 20, line + 1);
        return;
    }
    memcpy(name, line + 1, n);
    name[n] = '\0';
    if (!known_section(name))
        problem(r, "unknown section [%s]", name);
}

/* inih's reader: one line at a time, so that errors know their line. A line
 * longer than inih's buffer is an error rather than two lines. */
static char *read_line(char *buf, int num, void *stream)
{
    struct file_read *r = stream;
    if (!fgets(buf, num, r->f))
        return NULL;
    r->lineno++;
    size_t n = strlen(buf);
    if (n == (size_t)num - 1 && buf[n - 1] != '\n') {
        int ch = fgetc(r->f);
        if (ch != EOF && ch != '\n') {
            while (ch != EOF && ch != '\n')
                ch = fgetc(r->f);
            problem(r, "line longer than %d characters", num - 2);
            buf[0] = '\0';
            return buf;
        }
    }
    check_section_line(r, buf);
    return buf;
}

static int on_pair(void *user, const char *section, const char *key, const char *value)
{
    struct file_read *r = user;
    const tnd_setting *s = tnd_setting_by_key(key);
    char err[300];
    if (!s) {
        problem(r, "unknown key \"%s\"%s%s%s", key, *section ? " in [" : "", section,
                *section ? "]" : "");
        return 0;
    }
    if (strcmp(s->section, section) != 0) {
        if (*section)
            problem(r, "key \"%s\" belongs in [%s], not [%s]", key, s->section, section);
        else
            problem(r, "key \"%s\" outside a section (it belongs in [%s])", key, s->section);
        return 0;
    }
    size_t row = (size_t)(s - tnd_config_rows);
    if (r->set_on[row]) {
        problem(r, "key \"%s\" set twice (first on line %d)", key, r->set_on[row]);
        return 0;
    }
    r->set_on[row] = r->lineno;
    if (tnd_setting_set(r->c, s, value, err, sizeof err) != 0) {
        problem(r, "%s: %s", key, err);
        return 0;
    }
    return 1;
}

int tnd_config_read_file(tnd_config *c, const char *path, char *err, size_t errlen)
{
    struct file_read r = {.c = c};
    r.f = fopen(path, "r");
    if (!r.f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    r.set_on = calloc(tnd_config_rows_count, sizeof *r.set_on);
    if (!r.set_on) {
        fclose(r.f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = ini_parse_stream(read_line, &r, on_pair, &r);
    bool read_failed = ferror(r.f) != 0;
    int read_errno = errno;
    fclose(r.f);
    free(r.set_on);
    if (read_failed) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(read_errno));
        return -1;
    }
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (rc > 0 && (!r.err_line || rc < r.err_line)) {
        snprintf(err, errlen, "%s:%d: expected \"[section]\" or \"key = value\"", path, rc);
        return -1;
    }
    if (r.err_line) {
        snprintf(err, errlen, "%s:%d: %s", path, r.err_line, r.msg);
        return -1;
    }
    return 0;
}
