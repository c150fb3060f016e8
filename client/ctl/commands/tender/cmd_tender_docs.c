/* Tender documents: uploading (AddDocument, client streaming in 1 MiB
 * chunks) and tenderctl tender download (Download, server streaming),
 * which keeps a file only when its SHA-256 matches the tender's record. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tender_cmd.h"

#define CHUNK (1024u * 1024u)

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int ctl_doc_check(const char *cmd, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || access(path, R_OK) != 0) {
        ctl_err("%s: --doc %s: %s", cmd, path, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    if (!S_ISREG(sb.st_mode)) {
        ctl_err("%s: --doc %s: not a regular file", cmd, path);
        return CTL_EXIT_FAIL;
    }
    if (!*base_name(path)) {
        ctl_err("%s: --doc %s: no file name", cmd, path);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

int ctl_doc_upload(tnd_client *c, tnd_arena *arena, ctl_idem *k, const char *tender_id,
                   const char *path, tender_tenders_v1_Document *out)
{
    tender_tenders_v1_Document_init(out);
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        ctl_err("%s: %s", path, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    uint8_t *buf = malloc(CHUNK);
    if (!buf) {
        fclose(f);
        ctl_err("out of memory");
        return CTL_EXIT_FAIL;
    }
    tnd_client_stream *s;
    tnd_status_info st;
    if (tnd_client_stream_open(c, tender_tenders_v1_Tenders_AddDocument_method, NULL,
                               ctl_idem_next(k), &s, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out_buf;
    }
    /* The first message names the document; later ones carry only content.
     * An empty file is one message without content. */
    tender_tenders_v1_AddDocumentRequest req = {.tender_id = tnd_arena_strdup(arena, tender_id),
                                                .name = tnd_arena_strdup(arena, base_name(path)),
                                                .media_type =
                                                    tnd_arena_strdup(arena, ctl_media_type(path))};
    bool first = true;
    if (tnd_arena_failed(arena)) {
        rc = ctl_oom();
        goto out_stream;
    }
    for (;;) {
        size_t n = fread(buf, 1, CHUNK, f);
        if (n == 0 && ferror(f)) {
            ctl_err("%s: %s", path, strerror(errno));
            rc = CTL_EXIT_FAIL;
            goto out_stream;
        }
        if (n == 0 && !first)
            break;
        req.content = (tnd_bytes){.data = buf, .len = n};
        if (tnd_client_stream_send(s, &req, &st) != 0) {
            rc = ctl_status_fail(&st);
            goto out_stream;
        }
        req = (tender_tenders_v1_AddDocumentRequest){0}; /* the rest: content only */
        first = false;
        if (n < CHUNK && feof(f))
            break;
    }
    tender_tenders_v1_Document d;
    if (tnd_client_stream_finish(s, &d, &st) != 0) {
        rc = ctl_status_fail(&st);
        goto out_stream;
    }
    /* The record joins the tender read into the arena. */
    if (tnd_msg_copy_in(&tender_tenders_v1_Document_desc, arena, &d, out) != 0)
        rc = ctl_oom();
    tender_tenders_v1_Document_free(&d);
out_stream:
    tnd_client_stream_close(s);
out_buf:
    free(buf);
    fclose(f);
    return rc;
}

/* Write all of data to fd. */
static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Move tmp to out; without force never replace an existing file (link
 * fails on an existing name, so there is no window between check and move). */
static int place(const char *tmp, const char *out, bool force)
{
    if (force)
        return rename(tmp, out);
    if (link(tmp, out) == 0)
        return unlink(tmp) == 0 || errno == ENOENT ? 0 : -1;
    if (errno == EEXIST)
        return -1;
    struct stat sb; /* file systems without hard links */
    if (stat(out, &sb) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(tmp, out);
}

typedef struct fetch {
    int fd;
    uint64_t size;
    EVP_MD_CTX *md;
} fetch;

/* Stream the document into x->fd, hashing as it goes. Returns 0 or an exit code. */
static int fetch_content(tnd_client *c, const tender_tenders_v1_DocumentRef *ref,
                         const tender_tenders_v1_Document *d, fetch *x, const char *tmp)
{
    tnd_client_stream *s;
    tnd_status_info st;
    if (tnd_client_stream_open(c, tender_tenders_v1_Tenders_Download_method, ref, NULL, &s, &st) !=
        0)
        return ctl_status_fail(&st);
    tender_tenders_v1_DocumentChunk ch;
    int rc = 0;
    while (!rc && tnd_client_stream_next(s, &ch, &st) == 1) {
        x->size += ch.data.len;
        if (x->size > d->size) {
            ctl_err("document %s: the server sent more than the %llu bytes of its record", d->id,
                    (unsigned long long)d->size);
            rc = CTL_EXIT_FAIL;
        } else if (ch.data.len && (EVP_DigestUpdate(x->md, ch.data.data, ch.data.len) != 1 ||
                                   write_all(x->fd, ch.data.data, ch.data.len) != 0)) {
            ctl_err("%s: %s", tmp, strerror(errno));
            rc = CTL_EXIT_FAIL;
        }
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
    tnd_client_stream_close(s);
    if (!rc && st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
    return rc;
}

/* The output path: --output, else the document's own name (its last path
 * component: the name comes from the server and must not pick a folder). */
static int output_path(const char *given, const tender_tenders_v1_Document *d, char *out,
                       size_t len)
{
    const char *name = given ? given : base_name(d->name ? d->name : "");
    if (!given && (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)) {
        ctl_err("document %s has no usable file name; give --output FILE", d->id);
        return CTL_EXIT_USAGE;
    }
    if ((size_t)snprintf(out, len, "%s", name) >= len) {
        ctl_err("output path too long");
        return CTL_EXIT_USAGE;
    }
    return 0;
}

typedef struct download_opts {
    const char *output;
    bool force;
} download_opts;

static int tender_download(ctl_global *g, const ctl_call *call)
{
    const download_opts *o = call->opts;
    const char *output = o->output, *const *pos = call->pos;
    bool force = o->force;
    int n_pos = call->n_pos, rc;
    if (n_pos != 2) {
        ctl_err("tender download: give ID and DOCUMENT_ID (see tenderctl tender download --help)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_Tender t;
    if ((rc = ctl_tender_get(c, call->arena, pos[0], 0, &t)) != 0)
        goto out_client;
    const tender_tenders_v1_Document *d = NULL;
    for (size_t i = 0; i < t.n_documents && !d; i++)
        if (t.documents[i].id && strcmp(t.documents[i].id, pos[1]) == 0)
            d = &t.documents[i];
    if (!d) {
        ctl_err("NOT_FOUND: tender %s has no document %s (see tenderctl tender documents %s)",
                pos[0], pos[1], pos[0]);
        rc = CTL_EXIT_STATUS + TND_STATUS_NOT_FOUND;
        goto out_tender;
    }
    if (d->sha256.len != 32) {
        ctl_err("document %s has no SHA-256 in the tender's record; refusing to download "
                "unverified content",
                d->id);
        rc = CTL_EXIT_FAIL;
        goto out_tender;
    }
    char out[4096], tmp[4200];
    if ((rc = output_path(output, d, out, sizeof out)) != 0)
        goto out_tender;
    struct stat sb;
    if (!force && lstat(out, &sb) == 0) {
        ctl_err("%s exists; not overwritten (give --force, or --output FILE)", out);
        rc = CTL_EXIT_FAIL;
        goto out_tender;
    }
    const char *slash = strrchr(out, '/');
    int dl = slash ? (int)(slash - out + 1) : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.part-XXXXXX", dl, out, out + dl);
    fetch x = {.fd = mkstemp(tmp), .md = EVP_MD_CTX_new()};
    if (x.fd < 0) {
        ctl_err("cannot create a temporary file beside %s: %s", out, strerror(errno));
        rc = CTL_EXIT_FAIL;
        EVP_MD_CTX_free(x.md);
        goto out_tender;
    }
    mode_t um = umask(0);
    umask(um);
    uint8_t sum[32];
    unsigned sum_len = 0;
    tender_tenders_v1_DocumentRef ref = {.tender_id = ctl_str(call, pos[0]), .document_id = d->id};
    if (!ref.tender_id) {
        rc = ctl_oom();
    } else if (!x.md || EVP_DigestInit_ex(x.md, EVP_sha256(), NULL) != 1) {
        ctl_err("cannot compute SHA-256");
        rc = CTL_EXIT_FAIL;
    }
    if (!rc)
        rc = fetch_content(c, &ref, d, &x, tmp);
    if (!rc && EVP_DigestFinal_ex(x.md, sum, &sum_len) != 1)
        rc = CTL_EXIT_FAIL;
    char want[65], got[65];
    if (!rc && (x.size != d->size || memcmp(sum, d->sha256.data, 32) != 0)) {
        ctl_err("document %s: the content received (%llu bytes, sha256 %s) does not match the "
                "tender's record (%llu bytes, sha256 %s); not kept",
                d->id, (unsigned long long)x.size, ctl_hex(sum, 32, got),
                (unsigned long long)d->size, ctl_hex(d->sha256.data, 32, want));
        rc = CTL_EXIT_FAIL;
    }
    if (!rc && (fchmod(x.fd, 0666 & ~um) != 0 || fsync(x.fd) != 0)) {
        ctl_err("%s: %s", tmp, strerror(errno));
        rc = CTL_EXIT_FAIL;
    }
    if (close(x.fd) != 0 && !rc) {
        ctl_err("%s: %s", tmp, strerror(errno));
        rc = CTL_EXIT_FAIL;
    }
    if (!rc && place(tmp, out, force) != 0) {
        ctl_err("%s: %s%s", out, strerror(errno),
                errno == EEXIST ? " (not overwritten; give --force)" : "");
        rc = CTL_EXIT_FAIL;
    }
    if (rc)
        unlink(tmp);
    EVP_MD_CTX_free(x.md);
    if (!rc && g->json) {
        ctl_json_print(json_pack("{s:o,s:I,s:s}", "path", ctl_json_str(out), "size",
                                 (json_int_t)x.size, "sha256", ctl_hex(sum, 32, got)));
    } else if (!rc) {
        printf("%s\n", out);
    }
out_tender:
out_client:
    tnd_client_free(c);
    return rc;
}

static const ctl_optdef download_optdefs[] = {
    {.name = "--output", .kind = CTL_FILE, .at = offsetof(download_opts, output),
     .arg = "_FILE_",
     .help = "Where to write (default: the document's name in the current folder)."},
    {.name = "--force", .kind = CTL_BOOL, .at = offsetof(download_opts, force),
     .help = "Replace _FILE_ if it exists (by default an existing file is kept and the command\n"
             "fails)."},
    {0},
};

const ctl_cmd ctl_tender_download_cmd = {
    .name = "download",
    .synopsis = "_ID_ _DOCUMENT_ID_ [*--output* _FILE_] [*--force*]",
    .summary = "fetch a document, verified by its SHA-256",
    .about = "Fetch a document into a temporary file beside _FILE_ (default: the document's name\n"
             "in the current folder), renamed into place only when its size and SHA-256 match\n"
             "the tender's record (otherwise it is deleted and the exit status is 1). An\n"
             "existing file is replaced only with *--force*. Prints the file written ({\"path\",\n"
             "\"size\", \"sha256\"} with *--json*).",
    .opts = download_optdefs,
    .opts_size = sizeof(download_opts),
    .max_pos = 2,
    .run = tender_download,
};
