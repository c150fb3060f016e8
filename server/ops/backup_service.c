/* tender.admin.v1.Admin/Backup: `tenderd backup` as a child process of the
 * running server (backup.h). A child, not a thread: it opens the database
 * read-only as a second process, which LMDB supports, and never shares the
 * server's environment or its map-resize lock. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tender/encoding.h"
#include "backup.h"
#include "logging.h"
#include "transport/server.h"
#include "tender_schema.h"

#define OUTPUT_CAP 4096 /* of the child's stdout and of its stderr that we keep */

struct tnd_backup_job {
    tnd_server *srv;
    tnd_call *call; /* referenced until the job is done */
    uv_process_t proc;
    uv_pipe_t out, err;
    int pending;    /* exit and the two EOFs still to come */
    int open;       /* handles not yet closed */
    int64_t exit_status;
    int term_signal;
    char file[4096];
    char outbuf[OUTPUT_CAP + 1], errbuf[OUTPUT_CAP + 1];
    size_t out_len, err_len;
};

static void on_closed(uv_handle_t *h)
{
    tnd_backup_job *job = h->data;
    if (--job->open == 0)
        free(job);
}

/* Close the job's handles; it is freed when the last one is closed. */
static void job_release(tnd_backup_job *job)
{
    if (job->srv && job->srv->backup_job == job)
        job->srv->backup_job = NULL;
    job->srv = NULL;
    if (job->call) {
        tnd_call_unref(job->call);
        job->call = NULL;
    }
    uv_handle_t *hs[] = {(uv_handle_t *)&job->proc, (uv_handle_t *)&job->out,
                         (uv_handle_t *)&job->err};
    for (int i = 0; i < 3; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], on_closed);
}

/* The child's report: "... tree size N ... root B64 ...". */
static void parse_report(const char *out, tender_admin_v1_BackupResult *r, uint8_t root[32])
{
    const char *p = strstr(out, "tree size ");
    if (p)
        r->tree_size = strtoull(p + 10, NULL, 10);
    p = strstr(out, " root ");
    size_t n;
    if (p && strlen(p + 6) >= 44 && tnd_base64_decode(p + 6, 44, root, 32, &n) == 0 && n == 32)
        r->root = (tnd_bytes){.data = root, .len = 32};
}

static void job_done(tnd_backup_job *job)
{
    /* Messages start "tenderd backup: "; the caller knows what it called. */
    const char *why = job->errbuf;
    if (strncmp(why, "tenderd backup: ", 16) == 0)
        why += 16;
    job->errbuf[strcspn(job->errbuf, "\n")] = '\0';
    if (job->exit_status != 0 || job->term_signal != 0) {
        char code[32];
        snprintf(code, sizeof code, "%" PRId64 "/%d", job->exit_status, job->term_signal);
        tnd_log(TND_LOG_ERROR, "backup failed", "file", job->file, "exit", code, "error", why,
                NULL);
        tnd_call_finish(job->call,
                        strstr(why, "does not verify") ? TND_STATUS_DATA_LOSS
                                                       : TND_STATUS_INTERNAL,
                        "backup failed: %s", *why ? why : "the backup process died");
        job_release(job);
        return;
    }
    tender_admin_v1_BackupResult r = {.file = job->file, .report = job->outbuf};
    uint8_t root[32];
    parse_report(job->outbuf, &r, root);
    struct stat st;
    if (stat(job->file, &st) == 0)
        r.bytes = (uint64_t)st.st_size;
    char size[24];
    snprintf(size, sizeof size, "%" PRIu64, r.tree_size);
    tnd_log(TND_LOG_INFO, "backup written", "file", job->file, "tree_size", size, NULL);
    if (tnd_call_send(job->call, &r) == 0)
        tnd_call_finish(job->call, TND_STATUS_OK, NULL);
    job_release(job);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    tnd_backup_job *job = p->data;
    job->exit_status = status;
    job->term_signal = sig;
    if (--job->pending == 0)
        job_done(job);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    static char sink[1024]; /* output past the cap is read and dropped */
    tnd_backup_job *job = h->data;
    bool is_out = h == (uv_handle_t *)&job->out;
    char *b = is_out ? job->outbuf : job->errbuf;
    size_t used = is_out ? job->out_len : job->err_len;
    if (used < OUTPUT_CAP)
        *buf = uv_buf_init(b + used, (unsigned)(OUTPUT_CAP - used));
    else
        *buf = uv_buf_init(sink, sizeof sink);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    tnd_backup_job *job = s->data;
    bool is_out = s == (uv_stream_t *)&job->out;
    size_t *used = is_out ? &job->out_len : &job->err_len;
    char *b = is_out ? job->outbuf : job->errbuf;
    if (n > 0 && buf->base == b + *used) {
        *used += (size_t)n;
        b[*used] = '\0';
    }
    if (n < 0) { /* EOF or an error: nothing more from this pipe */
        uv_read_stop(s);
        if (--job->pending == 0)
            job_done(job);
    }
}

/* The backup's name: --backup-dir/tenderd-YYYYMMDDTHHMMSS.mmmZ.mdb (UTC). */
static int backup_name(const char *dir, char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    int n = snprintf(out, cap, "%s/tenderd-%s.%03ldZ.mdb", dir, stamp, ts.tv_nsec / 1000000);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static void backup_on_message(tnd_call *call, void *request)
{
    (void)request;
    tnd_server *srv = tnd_call_server(call);
    if (!srv->cfg.backup_dir[0]) {
        tnd_call_finish(call, TND_STATUS_FAILED_PRECONDITION,
                        "backups over RPC are off: start tenderd with --backup-dir DIR, or run "
                        "`tenderd backup` on the server");
        return;
    }
    if (srv->backup_job) {
        tnd_call_finish(call, TND_STATUS_ABORTED, "a backup is already running (%s)",
                        srv->backup_job->file);
        return;
    }
    tnd_backup_job *job = calloc(1, sizeof *job);
    if (!job) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    if (backup_name(srv->cfg.backup_dir, job->file, sizeof job->file) != 0) {
        free(job);
        tnd_call_finish(call, TND_STATUS_INTERNAL, "--backup-dir is too long");
        return;
    }
    job->srv = srv;
    job->call = call;
    tnd_call_ref(call);
    job->proc.data = job->out.data = job->err.data = job;
    uv_pipe_init(srv->loop, &job->out, 0);
    uv_pipe_init(srv->loop, &job->err, 0);
    job->open = 3;
    job->pending = 3;
    /* /proc/self/exe: this very binary, even if a newer one was installed since. */
    char *args[] = {"/proc/self/exe", "backup", "--db", srv->cfg.db, "--out", job->file, NULL};
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&job->out},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&job->err},
    };
    uv_process_options_t opts = {
        .exit_cb = on_exit_cb, .file = args[0], .args = args, .stdio_count = 3, .stdio = stdio};
    int rc = uv_spawn(srv->loop, &job->proc, &opts);
    if (rc != 0) {
        tnd_call_finish(call, TND_STATUS_INTERNAL, "cannot start the backup: %s",
                        uv_strerror(rc));
        job_release(job);
        return;
    }
    srv->backup_job = job;
    uv_read_start((uv_stream_t *)&job->out, on_alloc, on_read);
    uv_read_start((uv_stream_t *)&job->err, on_alloc, on_read);
    const tnd_peer_identity *who = tnd_call_peer(call);
    tnd_log(TND_LOG_INFO, "backup started", "file", job->file, "by",
            who && who->authenticated ? who->name : "?", NULL);
}

void tnd_backup_service_stop(tnd_server *srv)
{
    tnd_backup_job *job = srv->backup_job;
    if (!job)
        return;
    char pid[24];
    snprintf(pid, sizeof pid, "%d", job->proc.pid);
    tnd_log(TND_LOG_WARN, "backup still running at shutdown; it finishes on its own", "file",
            job->file, "pid", pid, NULL);
    tnd_call_finish(job->call, TND_STATUS_UNAVAILABLE, "the server is shutting down");
    job_release(job);
}

static const tnd_handler backup_handler = {
    .method = tender_admin_v1_Admin_Backup_method,
    .on_message = backup_on_message,
};

int tnd_backup_service_register(tnd_server *srv)
{
    return tnd_server_register(srv, &backup_handler);
}
