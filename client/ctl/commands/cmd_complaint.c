/* tenderctl complaint: a supplier's complaint about a tender's conditions,
 * an award or a cancellation, and the review body's decisions on it
 * (Complaints service, docs/COMPLAINTS.md). file, list, show (with the
 * reviews' signatures checked here, tnd_review_verify, and --download of
 * the documents against their SHA-256) and withdraw; accept and decide sign
 * the ReviewDecision with the reviewer's certificate key
 * (tnd_review_signed_bytes). Names of subjects, states and outcomes are
 * libtender's (tender/complaint.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "cli/ctl.h"
#include "commands.h"
#include "complaint_cmd.h"
#include "tender/complaint.h"
#include "tender/pages.h"
#include "tender_schema.h"

#define MAX_DOCS TENDER_COMPLAINTS_V1_FILECOMPLAINTREQUEST_DOCUMENTS_MAX_COUNT
#define MAX_DOC_BYTES TENDER_COMPLAINTS_V1_COMPLAINTUPLOAD_CONTENT_MAX_LEN
#define MAX_TEXT TENDER_COMPLAINTS_V1_FILECOMPLAINTREQUEST_TEXT_MAX_LEN

typedef tender_complaints_v1_Complaint complaint;

typedef struct complaint_opts {
    const char *about, *award, *lot, *title, *text, *text_file, *reasoning, *outcome, *download;
    ctl_list docs;
    bool suspend;
} complaint_opts;

static const char *str(const char *s)
{
    return s && *s ? s : "-";
}

static const char *ts_text(const tender_common_v1_Timestamp *t, char *buf, size_t len)
{
    return t ? ctl_time_text(t->seconds, t->nanos, buf, len) : "-";
}

/* What a complaint is about beyond its subject: the award, the lot, or the
 * tender as a whole. */
static const char *what_text(const complaint *c, char *buf, size_t len)
{
    if (c->award_id && *c->award_id)
        snprintf(buf, len, "%s", c->award_id);
    else if (c->lot_id && *c->lot_id)
        snprintf(buf, len, "lot %s", c->lot_id);
    else
        snprintf(buf, len, "tender");
    return buf;
}

void ctl_complaint_rows(const tender_complaints_v1_ComplaintList *l, const char *indent, bool filed)
{
    for (size_t i = 0; i < l->n_complaints; i++) {
        const complaint *c = &l->complaints[i];
        char what[200], when[64];
        printf("%s%-24s  %-9s  %-12s  ", indent, str(c->id), tnd_complaint_state_name(c->state),
               tnd_complaint_subject_name(c->subject));
        if (filed)
            printf("%-24s  %s\n", what_text(c, what, sizeof what),
                   ts_text(c->filed, when, sizeof when));
        else
            printf("%s\n", what_text(c, what, sizeof what));
    }
}

/* ---- file ---- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A --document: a regular file of at most 1 MiB, read into u in arena.
 * Returns 0 or an exit code (message printed). */
static int read_document(const char *cmd, tnd_arena *arena, const char *file,
                         tender_complaints_v1_ComplaintUpload *u)
{
    struct stat sb;
    if (stat(file, &sb) != 0) {
        ctl_err("%s: --document %s: %s", cmd, file, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    if (!S_ISREG(sb.st_mode)) {
        ctl_err("%s: --document %s: not a regular file", cmd, file);
        return CTL_EXIT_FAIL;
    }
    if (!*base_name(file)) {
        ctl_err("%s: --document %s: no file name", cmd, file);
        return CTL_EXIT_USAGE;
    }
    char *data;
    long n = ctl_file_read(file, &data, MAX_DOC_BYTES);
    if (n < 0) {
        if (errno == EFBIG)
            ctl_err("%s: --document %s: larger than 1 MiB (a complaint's documents are at most "
                    "1 MiB each)",
                    cmd, file);
        else
            ctl_err("%s: --document %s: %s", cmd, file, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    u->name = tnd_arena_strdup(arena, base_name(file));
    u->media_type = tnd_arena_strdup(arena, ctl_media_type(file));
    u->content.data = tnd_arena_alloc(arena, (size_t)n ? (size_t)n : 1);
    if (u->content.data)
        memcpy(u->content.data, data, (size_t)n);
    u->content.len = (size_t)n;
    free(data);
    return tnd_arena_failed(arena) ? ctl_oom() : 0;
}

/* The complaint's text: --text, or the contents of --text-file. */
static int complaint_text(const char *cmd, const complaint_opts *o, char **out)
{
    *out = NULL;
    if (!o->text == !o->text_file) {
        ctl_err("%s: give the complaint's text: --text TEXT or --text-file FILE (one of them)",
                cmd);
        return CTL_EXIT_USAGE;
    }
    if (o->text) {
        if (!*o->text) {
            ctl_err("%s: --text is empty", cmd);
            return CTL_EXIT_USAGE;
        }
        if (!(*out = strdup(o->text)))
            return ctl_oom();
        return 0;
    }
    long n = ctl_file_read(o->text_file, out, MAX_TEXT);
    if (n < 0) {
        ctl_err("%s: --text-file %s: %s", cmd, o->text_file,
                errno == EFBIG ? "longer than 20000 bytes (a complaint's text is at most 20000)"
                               : strerror(errno));
        return CTL_EXIT_FAIL;
    }
    if (n == 0 || strlen(*out) != (size_t)n) {
        ctl_err("%s: --text-file %s: %s", cmd, o->text_file,
                n ? "contains a NUL byte: give text" : "is empty");
        free(*out);
        *out = NULL;
        return CTL_EXIT_FAIL;
    }
    return 0;
}

/* The request from the options, checked before any call. */
static int file_request(const char *cmd, const ctl_call *call,
                        tender_complaints_v1_FileComplaintRequest *req)
{
    const complaint_opts *o = call->opts;
    if (call->n_pos != 1) {
        ctl_err("%s: give the TENDER (see tenderctl complaint file --help)", cmd);
        return CTL_EXIT_USAGE;
    }
    if (!o->about) {
        ctl_err("%s: --about conditions|award|cancellation is required", cmd);
        return CTL_EXIT_USAGE;
    }
    int subject = tnd_complaint_subject_parse(o->about);
    if (!subject) {
        ctl_err("%s: --about %s: use conditions, award or cancellation", cmd, o->about);
        return CTL_EXIT_USAGE;
    }
    if (subject == TND_COMPLAINT_SUBJECT(AWARD) && !o->award) {
        ctl_err("%s: --about award needs --award AWARD_ID (tenderctl award show TENDER)", cmd);
        return CTL_EXIT_USAGE;
    }
    if (subject == TND_COMPLAINT_SUBJECT(CONDITIONS) && o->award) {
        ctl_err("%s: --award goes with --about award or cancellation", cmd);
        return CTL_EXIT_USAGE;
    }
    if (subject == TND_COMPLAINT_SUBJECT(AWARD) && o->lot) {
        ctl_err("%s: leave out --lot with --about award: the award's decision names its lot", cmd);
        return CTL_EXIT_USAGE;
    }
    if (o->award && o->lot) {
        ctl_err("%s: a cancellation is of an award (--award) or of a lot (--lot), not both", cmd);
        return CTL_EXIT_USAGE;
    }
    if (!o->title || !*o->title) {
        ctl_err("%s: --title TEXT is required", cmd);
        return CTL_EXIT_USAGE;
    }
    char *text;
    int rc = complaint_text(cmd, o, &text);
    if (rc)
        return rc;
    req->tender_id = ctl_str(call, call->pos[0]);
    req->subject = subject;
    req->award_id = ctl_str(call, o->award);
    req->lot_id = ctl_str(call, o->lot);
    req->title = ctl_str(call, o->title);
    req->text = ctl_str(call, text);
    free(text);
    if (o->docs.n)
        req->documents = tnd_arena_calloc(call->arena, o->docs.n, sizeof *req->documents);
    if (tnd_arena_failed(call->arena))
        return ctl_oom();
    for (size_t i = 0; i < o->docs.n; i++) {
        if ((rc = read_document(cmd, call->arena, o->docs.v[i], &req->documents[i])) != 0)
            return rc;
        req->n_documents++;
    }
    return 0;
}

static int complaint_file(ctl_global *g, const ctl_call *call)
{
    const char *cmd = "complaint file";
    tender_complaints_v1_FileComplaintRequest req = {0};
    int rc;
    if ((rc = file_request(cmd, call, &req)) != 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    complaint out;
    tnd_status_info st;
    ctl_idem k = {0};
    if (tender_complaints_v1_Complaints_File_in(c, call->arena, &req, &out, ctl_idem_next(&k),
                                                &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else if (g->json)
        ctl_json_print(ctl_json_msg(&tender_complaints_v1_Complaint_desc, &out));
    else
        printf("%s\n", str(out.id));
    tnd_client_free(c);
    return rc;
}

/* ---- list ---- */

/* Every page (tnd_complaints_fetch), kept in arena for the command. */
int ctl_complaints_fetch(tnd_client *c, tnd_arena *arena, const char *tender,
                         tender_complaints_v1_ComplaintList *out, tnd_status_info *st)
{
    tender_complaints_v1_ComplaintList_init(out);
    tender_complaints_v1_ComplaintList all;
    int rc = tnd_complaints_fetch(c, tender, &all, st);
    if (rc == 0 &&
        tnd_msg_copy_in(&tender_complaints_v1_ComplaintList_desc, arena, &all, out) != 0) {
        st->code = rc = TND_STATUS_RESOURCE_EXHAUSTED;
        snprintf(st->message, sizeof st->message, "out of memory");
    }
    tender_complaints_v1_ComplaintList_free(&all);
    return rc;
}

static int complaint_list(ctl_global *g, const ctl_call *call)
{
    int rc;
    if (call->n_pos != 1) {
        ctl_err("complaint list: give the TENDER");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_complaints_v1_ComplaintList l;
    tnd_status_info st;
    if (ctl_complaints_fetch(c, call->arena, call->pos[0], &l, &st) != 0) {
        rc = ctl_reply_fail(call->arena, &st);
    } else if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_complaints_v1_ComplaintList_desc, &l));
    } else if (!l.n_complaints) {
        printf("no complaints to show\n");
    } else {
        printf("%-24s  %-9s  %-12s  %-24s  %s\n", "ID", "STATE", "SUBJECT", "WHAT", "FILED");
        ctl_complaint_rows(&l, "", true);
    }
    tnd_client_free(c);
    return rc;
}

/* ---- show ---- */

/* Does review r verify (tnd_review_verify with its reviewer_key) and name
 * complaint c? */
static bool review_ok(const complaint *c, const tender_complaints_v1_Review *r)
{
    const tender_complaints_v1_ReviewDecision *d = r->decision;
    return d && r->reviewer_key.len == 32 && d->complaint_id && c->id &&
           strcmp(d->complaint_id, c->id) == 0 && d->tender_id && c->tender_id &&
           strcmp(d->tender_id, c->tender_id) == 0 &&
           tnd_review_verify(d, r->signature.data, r->signature.len, r->reviewer_key.data) == 0;
}

static void print_review(const char *label, const tender_complaints_v1_Review *r, bool ok)
{
    const tender_complaints_v1_ReviewDecision *d = r->decision;
    char when[64];
    printf("%-13s%s by %s (%s) at %s; signature %s\n", label,
           d ? tnd_review_outcome_name(d->outcome) : "-",
           str(r->reviewer ? r->reviewer->name : NULL),
           str(r->reviewer ? r->reviewer->organisation : NULL), ts_text(r->time, when, sizeof when),
           ok ? "verified" : "DOES NOT VERIFY");
    if (d && d->suspend_deadline)
        printf("             suspends the submission deadline until the complaint is decided\n");
    printf("             reasoning: %s\n", str(d ? d->reasoning : NULL));
}

static void print_complaint(const complaint *c, bool acc_ok, bool dec_ok)
{
    char buf[200], when[64];
    printf("complaint %s of tender %s: %s\n", str(c->id), str(c->tender_id),
           tnd_complaint_state_name(c->state));
    const char *note = tnd_complaint_subject_note(c, buf, sizeof buf);
    printf("about:       %s\n", note ? note : tnd_complaint_subject_name(c->subject));
    if (c->lot_id && *c->lot_id && c->award_id && *c->award_id)
        printf("lot:         %s\n", c->lot_id);
    printf("filed:       %s (tender version %u)\n", ts_text(c->filed, when, sizeof when),
           c->tender_version);
    if (c->complainant) {
        const tender_common_v1_Actor *a = c->complainant->actor;
        printf("complainant: %s (%s)\n", str(a ? a->name : NULL), str(a ? a->organisation : NULL));
    }
    char hex[65] = "-";
    if (c->complainant_tag.len == 32)
        ctl_hex(c->complainant_tag.data, 32, hex);
    printf("complainant tag: %s\n", hex);
    if (c->withdrawn)
        printf("withdrawn:   %s\n", ts_text(c->withdrawn, when, sizeof when));
    printf("title:       %s\n", str(c->title));
    printf("text:\n");
    for (const char *p = c->text ? c->text : ""; *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("  %.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
    printf("documents:   %zu\n", c->n_documents);
    for (size_t i = 0; i < c->n_documents; i++) {
        const tender_complaints_v1_ComplaintDocument *d = &c->documents[i];
        strcpy(hex, "-");
        if (d->sha256.len == 32)
            ctl_hex(d->sha256.data, 32, hex);
        printf("  %s  %s  %s  %llu  %s\n", str(d->id), str(d->name), str(d->media_type),
               (unsigned long long)d->size, hex);
    }
    if (c->acceptance)
        print_review("acceptance:  ", c->acceptance, acc_ok);
    if (c->decision)
        print_review("decision:    ", c->decision, dec_ok);
}

/* Fetch document d of complaint c into memory, check its size and SHA-256
 * against the complaint, write it to DIR/N-NAME (0600). */
static int download_one(const ctl_global *g, tnd_client *cl, tnd_arena *arena, const complaint *c,
                        size_t i, const char *dir, json_t *list)
{
    const tender_complaints_v1_ComplaintDocument *d = &c->documents[i];
    if (d->sha256.len != 32 || d->size > MAX_DOC_BYTES) {
        ctl_err("document %s of complaint %s has no SHA-256 or a size above 1 MiB in its record; "
                "not downloaded",
                str(d->id), str(c->id));
        return CTL_EXIT_VERIFY;
    }
    tender_complaints_v1_ComplaintDocumentRef ref = {.complaint_id = c->id, .document_id = d->id};
    tnd_client_stream *s;
    tnd_status_info st;
    if (tnd_client_stream_open(cl, tender_complaints_v1_Complaints_Download_method, &ref, NULL, &s,
                               &st) != 0)
        return ctl_status_fail(&st);
    uint8_t *buf = tnd_arena_alloc(arena, d->size ? (size_t)d->size : 1);
    size_t got = 0;
    int rc = buf ? 0 : ctl_oom();
    tender_tenders_v1_DocumentChunk ch;
    while (!rc && tnd_client_stream_next(s, &ch, &st) == 1) {
        if (ch.data.len > d->size - got) {
            ctl_err("document %s: the server sent more than the %llu bytes of its record",
                    str(d->id), (unsigned long long)d->size);
            rc = CTL_EXIT_VERIFY;
        } else if (ch.data.len) {
            memcpy(buf + got, ch.data.data, ch.data.len);
            got += ch.data.len;
        }
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
    tnd_client_stream_close(s);
    if (!rc && st.code != TND_STATUS_OK)
        rc = ctl_status_fail(&st);
    uint8_t sum[32];
    char hex[65], want[65], name[300], path[4400];
    if (!rc) {
        SHA256(buf, got, sum);
        if (got != d->size || CRYPTO_memcmp(sum, d->sha256.data, 32) != 0) {
            ctl_err("verification failed: document %s (%zu bytes, sha256 %s) does not match the "
                    "complaint's record (%llu bytes, sha256 %s); not written",
                    str(d->id), got, ctl_hex(sum, 32, hex), (unsigned long long)d->size,
                    ctl_hex(d->sha256.data, 32, want));
            rc = CTL_EXIT_VERIFY;
        }
    }
    if (!rc) {
        ctl_doc_file_name(d->name, i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        rc = ctl_file_write(path, got ? buf : (const uint8_t *)"", got, 0600, false);
    }
    if (!rc && g->json)
        json_array_append_new(list,
                              json_pack("{s:o,s:o,s:I,s:s,s:o}", "id", ctl_json_str(d->id), "name",
                                        ctl_json_str(d->name), "size", (json_int_t)got, "sha256",
                                        ctl_hex(sum, 32, hex), "path", ctl_json_str(path)));
    else if (!rc)
        fprintf(stderr, "%s  %s  %zu bytes  sha256 %s  ok\n", str(d->id), path, got,
                ctl_hex(sum, 32, hex));
    return rc;
}

/* --json: the Complaint, each review with "signature_verified". */
static void print_json(const complaint *c, bool acc_ok, bool dec_ok, json_t *downloaded)
{
    json_t *o = ctl_json_msg(&tender_complaints_v1_Complaint_desc, c);
    json_t *acc = o ? json_object_get(o, "acceptance") : NULL;
    json_t *dec = o ? json_object_get(o, "decision") : NULL;
    if (json_is_object(acc))
        json_object_set_new(acc, "signature_verified", json_boolean(acc_ok));
    if (json_is_object(dec))
        json_object_set_new(dec, "signature_verified", json_boolean(dec_ok));
    if (o && downloaded)
        json_object_set(o, "downloaded", downloaded);
    ctl_json_print(o);
}

static int complaint_show(ctl_global *g, const ctl_call *call)
{
    const complaint_opts *o = call->opts;
    int rc;
    if (call->n_pos != 1) {
        ctl_err("complaint show: give the complaint's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_complaints_v1_ComplaintRef ref = {.id = ctl_str(call, call->pos[0])};
    complaint x;
    tnd_status_info st;
    if (tnd_arena_failed(call->arena)) {
        rc = ctl_oom();
        goto out;
    }
    if (tender_complaints_v1_Complaints_Get_in(c, call->arena, &ref, &x, NULL, &st) != 0) {
        rc = ctl_reply_fail(call->arena, &st);
        goto out;
    }
    bool acc_ok = x.acceptance && review_ok(&x, x.acceptance);
    bool dec_ok = x.decision && review_ok(&x, x.decision);
    json_t *downloaded = NULL;
    if (o->download && x.n_documents) {
        downloaded = g->json ? json_array() : NULL;
        rc = ctl_dir_private(o->download);
        for (size_t i = 0; !rc && i < x.n_documents; i++)
            rc = download_one(g, c, call->arena, &x, i, o->download, downloaded);
    }
    if (g->json)
        print_json(&x, acc_ok, dec_ok, downloaded);
    else
        print_complaint(&x, acc_ok, dec_ok);
    json_decref(downloaded);
    if (!rc && ((x.acceptance && !acc_ok) || (x.decision && !dec_ok))) {
        fflush(stdout);
        ctl_err("verification failed: the %s of complaint %s does not verify with its reviewer's "
                "key",
                x.acceptance && !acc_ok ? "acceptance" : "decision", str(x.id));
        rc = CTL_EXIT_VERIFY;
    }
out:
    tnd_client_free(c);
    return rc;
}

/* ---- accept, decide ---- */

/* The tender of complaint id "<tender id>-C<n>" into out, or "" when id is
 * not one. */
static void tender_of(const char *id, char *out, size_t len)
{
    const char *p = strrchr(id, '-');
    out[0] = '\0';
    if (!p || p == id || p[1] != 'C' || !p[2] || strspn(p + 2, "0123456789") != strlen(p + 2))
        return;
    if ((size_t)(p - id) < len)
        snprintf(out, len, "%.*s", (int)(p - id), id);
}

static int review(ctl_global *g, const ctl_call *call, const char *cmd, int outcome)
{
    const complaint_opts *o = call->opts;
    const char *id = call->pos[0];
    int rc;
    EVP_PKEY *key;
    if ((rc = ctl_cert_key(cmd, g, "a reviewer", &key)) != 0)
        return rc;
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        goto out_key;
    char tender[128];
    tnd_status_info st;
    tender_of(id, tender, sizeof tender);
    if (!*tender) { /* not an id of the usual form: ask the server */
        tender_complaints_v1_ComplaintRef ref = {.id = ctl_str(call, id)};
        complaint x;
        if (tnd_arena_failed(call->arena)) {
            rc = ctl_oom();
            goto out_client;
        }
        if (tender_complaints_v1_Complaints_Get_in(c, call->arena, &ref, &x, NULL, &st) != 0) {
            rc = ctl_reply_fail(call->arena, &st);
            goto out_client;
        }
        snprintf(tender, sizeof tender, "%s", x.tender_id ? x.tender_id : "");
    }
    tender_complaints_v1_ReviewDecision d = {.complaint_id = ctl_str(call, id),
                                             .tender_id = ctl_str(call, tender),
                                             .outcome = outcome,
                                             .reasoning = ctl_str(call, o->reasoning),
                                             .suspend_deadline = o->suspend};
    uint8_t *bytes = NULL, sig[64];
    size_t len = 0;
    if (tnd_arena_failed(call->arena)) {
        rc = ctl_oom();
        goto out_client;
    }
    if (tnd_review_signed_bytes(&d, &bytes, &len) != 0 || ctl_sign(key, bytes, len, sig) != 0) {
        ctl_err("%s: cannot sign the decision with %s", cmd, g->key);
        rc = CTL_EXIT_FAIL;
        free(bytes);
        goto out_client;
    }
    free(bytes);
    tender_complaints_v1_ReviewRequest req = {.decision = &d, .signature = {sig, 64}};
    complaint x;
    ctl_idem k = {0};
    if (tender_complaints_v1_Complaints_Review_in(c, call->arena, &req, &x, ctl_idem_next(&k),
                                                  &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else if (g->json)
        ctl_json_print(ctl_json_msg(&tender_complaints_v1_Complaint_desc, &x));
    else
        printf("%s %s\n", str(x.id), tnd_complaint_state_name(x.state));
out_client:
    tnd_client_free(c);
out_key:
    EVP_PKEY_free(key);
    return rc;
}

static int check_reasoning(const char *cmd, const ctl_call *call)
{
    const complaint_opts *o = call->opts;
    if (call->n_pos != 1) {
        ctl_err("%s: give the complaint's ID (see tenderctl %s --help)", cmd, cmd);
        return CTL_EXIT_USAGE;
    }
    if (!o->reasoning || !*o->reasoning) {
        ctl_err("%s: --reasoning TEXT is required (it is published with the decision)", cmd);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

static int complaint_accept(ctl_global *g, const ctl_call *call)
{
    int rc = check_reasoning("complaint accept", call);
    return rc ? rc : review(g, call, "complaint accept", TND_REVIEW_OUTCOME(ACCEPT));
}

static int complaint_decide(ctl_global *g, const ctl_call *call)
{
    const char *cmd = "complaint decide";
    const complaint_opts *o = call->opts;
    int rc = check_reasoning(cmd, call);
    if (rc)
        return rc;
    int outcome = o->outcome ? tnd_review_outcome_parse(o->outcome) : 0;
    if (outcome == TND_REVIEW_OUTCOME(ACCEPT)) {
        ctl_err("%s: --outcome %s: to accept, run tenderctl complaint accept ID --reasoning TEXT",
                cmd, o->outcome);
        return CTL_EXIT_USAGE;
    }
    if (!outcome) {
        ctl_err("%s: --outcome refuse|satisfy|reject is required%s%s", cmd,
                o->outcome ? "; not " : "", o->outcome ? o->outcome : "");
        return CTL_EXIT_USAGE;
    }
    return review(g, call, cmd, outcome);
}

/* ---- withdraw ---- */

static int complaint_withdraw(ctl_global *g, const ctl_call *call)
{
    int rc;
    if (call->n_pos != 1) {
        ctl_err("complaint withdraw: give the complaint's ID");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_complaints_v1_ComplaintRef ref = {.id = ctl_str(call, call->pos[0])};
    complaint x;
    tnd_status_info st;
    ctl_idem k = {0};
    if (tnd_arena_failed(call->arena))
        rc = ctl_oom();
    else if (tender_complaints_v1_Complaints_Withdraw_in(c, call->arena, &ref, &x,
                                                         ctl_idem_next(&k), &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else if (g->json)
        ctl_json_print(ctl_json_msg(&tender_complaints_v1_Complaint_desc, &x));
    else
        printf("%s %s\n", str(x.id), tnd_complaint_state_name(x.state));
    tnd_client_free(c);
    return rc;
}

/* ---- the tables ---- */

#define COMPLAINT_OPT(n, k, f, a, h, ...)                                                          \
    {                                                                                              \
        .name = n, .kind = k, .at = offsetof(complaint_opts, f), .arg = a, .help = h, __VA_ARGS__  \
    }

#define REASONING_OPT                                                                              \
    COMPLAINT_OPT("--reasoning", CTL_STRING, reasoning, "_TEXT_",                                  \
                  "Why: published with the decision, signed (required).")

static const ctl_optdef file_optdefs[] = {
    COMPLAINT_OPT("--about", CTL_STRING, about, "*conditions*|*award*|*cancellation*",
                  "What the complaint is about (required).",
                  .values = "conditions award cancellation"),
    COMPLAINT_OPT("--award", CTL_STRING, award, "_AWARD_ID_",
                  "The award complained about (*--about award*, required) or whose cancellation\n"
                  "is (*--about cancellation*)."),
    COMPLAINT_OPT("--lot", CTL_STRING, lot, "_LOT_",
                  "The lot whose conditions or cancellation the complaint is about."),
    COMPLAINT_OPT("--title", CTL_STRING, title, "_TEXT_",
                  "A short title, up to 500 characters (required)."),
    COMPLAINT_OPT("--text", CTL_STRING, text, "_TEXT_",
                  "The complaint, up to 20000 characters (or *--text-file*)."),
    COMPLAINT_OPT("--text-file", CTL_FILE, text_file, "_FILE_",
                  "Read the complaint's text from _FILE_ (instead of *--text*)."),
    COMPLAINT_OPT("--document", CTL_LIST, docs, "_FILE_",
                  "A document filed with the complaint (repeatable, at most 20, 1 MiB each; the\n"
                  "media type comes from the file name's extension).",
                  .max = MAX_DOCS, .files = true),
    {0},
};

static const ctl_optdef show_optdefs[] = {
    COMPLAINT_OPT("--download", CTL_DIR, download, "_DIR_",
                  "Also fetch the complaint's documents into _DIR_ (made 0700 when missing), each\n"
                  "checked against the size and SHA-256 of the complaint's record."),
    {0},
};

static const ctl_optdef accept_optdefs[] = {
    REASONING_OPT,
    COMPLAINT_OPT("--suspend-deadline", CTL_BOOL, suspend, NULL,
                  "Suspend the tender's submission deadline until the complaint is decided (a\n"
                  "complaint about the conditions of an active tender)."),
    {0},
};

static const ctl_optdef decide_optdefs[] = {
    COMPLAINT_OPT("--outcome", CTL_STRING, outcome, "*refuse*|*satisfy*|*reject*",
                  "*refuse* a submitted complaint as inadmissible; *satisfy* (uphold) or *reject*\n"
                  "an accepted one (required).",
                  .values = "refuse satisfy reject"),
    REASONING_OPT,
    {0},
};

static const ctl_cmd file_cmd = {
    .name = "file",
    .synopsis = "_TENDER_ *--about* *conditions*|*award*|*cancellation* [*--award* _AWARD_ID_] "
                "[*--lot* _LOT_] *--title* _TEXT_ (*--text* _TEXT_ | *--text-file* _FILE_) "
                "[*--document* _FILE_]...",
    .summary = "complain about a tender (supplier)",
    .about =
        "File a complaint (supplier certificate) about _TENDER_'s conditions (until the filing\n"
        "deadline before the submission deadline; *--lot* for a lot's), an award during its\n"
        "standstill (*--award*; only a bidder of the tender, or of the award's lot), or a\n"
        "cancellation (*--award* of an award, *--lot* of a lot, neither of the tender). Who\n"
        "complained is seen only by the buyer's officers, the review body and you; the public\n"
        "sees the complaint once the review body accepts it. A complaint about an award stops\n"
        "its standstill from ending until it is decided. Documents go with it (at most 20, 1 MiB\n"
        "each, checked before anything is sent), in the one message of the filing: together\n"
        "they must fit in the server's *--max-frame* (4 MiB by default). Prints the\n"
        "complaint's id (the Complaint with *--json*).",
    .opts = file_optdefs,
    .opts_size = sizeof(complaint_opts),
    .max_pos = 1,
    .run = complaint_file,
};

static const ctl_cmd list_cmd = {
    .name = "list",
    .synopsis = "_TENDER_",
    .summary = "the complaints about a tender you may see",
    .about = "The complaints about _TENDER_ you may see: id, state, subject, what it is about\n"
             "(the award, the lot or the tender) and when it was filed. The public sees those the\n"
             "review body accepted; the buyer's officers and the review body see all, and a\n"
             "complainant its own. *--json* prints the ComplaintList.",
    .max_pos = 1,
    .run = complaint_list,
};

static const ctl_cmd show_cmd = {
    .name = "show",
    .synopsis = "_ID_ [*--download* _DIR_]",
    .summary = "one complaint, its reviews checked",
    .about = "One complaint: subject, title, text, documents (id, name, media type, size,\n"
             "SHA-256), the complainant (when you may see it) and the complainant tag that\n"
             "commits to it, and each review (acceptance or refusal, then the decision) with its\n"
             "reviewer, time and reasoning. Each review's signature is checked here with the\n"
             "reviewer's key (exit 4 when one does not verify). *--download* _DIR_ also writes\n"
             "the documents to _DIR_/_N_-_NAME_ (0600), each only when its size and SHA-256\n"
             "match (exit 4 if not), and names each file written on standard error. *--json*\n"
             "prints the Complaint, each review with \"signature_verified\" (and \"downloaded\":\n"
             "the files written).",
    .opts = show_optdefs,
    .opts_size = sizeof(complaint_opts),
    .max_pos = 1,
    .run = complaint_show,
};

static const ctl_cmd accept_cmd = {
    .name = "accept",
    .synopsis = "_ID_ *--reasoning* _TEXT_ [*--suspend-deadline*]",
    .summary = "accept a submitted complaint for review (reviewer)",
    .about = "Accept a submitted complaint for review (reviewer certificate): it becomes public\n"
             "(without who complained). The decision is signed with your certificate's Ed25519\n"
             "key (*--cert*, *--key*). *--suspend-deadline* (a complaint about the conditions of\n"
             "an active tender) stops the submission deadline until the complaint is decided.\n"
             "Prints \"ID accepted\" (the Complaint with *--json*).",
    .opts = accept_optdefs,
    .opts_size = sizeof(complaint_opts),
    .max_pos = 1,
    .run = complaint_accept,
};

static const ctl_cmd decide_cmd = {
    .name = "decide",
    .synopsis = "_ID_ *--outcome* *refuse*|*satisfy*|*reject* *--reasoning* _TEXT_",
    .summary = "refuse, satisfy or reject a complaint (reviewer)",
    .about = "Decide a complaint (reviewer certificate), signed as *accept* is: *refuse* a\n"
             "submitted one as inadmissible; *satisfy* (uphold: the buyer must remedy, e.g.\n"
             "*award cancel --reason-code complaint-upheld*) or *reject* an accepted one. Prints\n"
             "\"ID STATE\" (the Complaint with *--json*).",
    .opts = decide_optdefs,
    .opts_size = sizeof(complaint_opts),
    .max_pos = 1,
    .run = complaint_decide,
};

static const ctl_cmd withdraw_cmd = {
    .name = "withdraw",
    .synopsis = "_ID_",
    .summary = "withdraw your complaint before a decision",
    .about = "Withdraw a complaint you filed (the same certificate key) while it is submitted or\n"
             "accepted. Prints \"ID withdrawn\" (the Complaint with *--json*).",
    .max_pos = 1,
    .run = complaint_withdraw,
};

const ctl_cmd ctl_cmd_complaint = {
    .name = "complaint",
    .summary = "complaints about a tender and the review body's decisions",
    .subs = (const ctl_cmd *const[]){&file_cmd, &list_cmd, &show_cmd, &accept_cmd, &decide_cmd,
                                     &withdraw_cmd, NULL},
};
