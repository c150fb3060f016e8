/* Offline evidence bundles (tender/bundle.h): a tnd_tender_record and the
 * auditor's keys to one tender.bundle.v1.Bundle and back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "codec_internal.h" /* the one UTF-8 rule */
#include "tender/bundle.h"

#define BUNDLE_DESC (&tender_bundle_v1_Bundle_desc)

static int fail(int rc, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- writing ------------------------------------------------------------- */

/* The canonical encoding of msg into *out (malloc'd). */
static int encode(const tnd_msg_desc *d, const void *msg, tnd_bytes *out, const char *what,
                  char *err, size_t err_len)
{
    tnd_codec_err ce = {{0}};
    int rc = tnd_msg_encode(d, msg, &out->data, &out->len, &ce);
    if (rc == TND_ENOMEM)
        return fail(rc, err, err_len, "out of memory");
    if (rc)
        return fail(rc, err, err_len, "%s cannot be encoded: %s", what, ce.text);
    return 0;
}

/* Concatenated 32-byte hashes (into a malloc'd buffer; 1 byte when none,
 * with len 0, so that NULL means out of memory). */
static int hashes(const uint8_t (*h)[TND_MERKLE_HASH_LEN], size_t n, tnd_bytes *out)
{
    out->data = malloc(n ? n * 32 : 1);
    if (!out->data)
        return TND_ENOMEM;
    if (n)
        memcpy(out->data, h, n * 32);
    out->len = n * 32;
    return 0;
}

/* s (cap bytes at most, with the NUL) in out with each byte that breaks
 * UTF-8 replaced by '?': valid text is kept as it is. */
static char *safe_text(char *out, size_t cap, const char *s)
{
    size_t len = strnlen(s, cap - 1);
    memcpy(out, s, len);
    out[len] = '\0';
    for (size_t i = 0; i < len;) {
        i += tnd_utf8_invalid_at((const uint8_t *)out + i, len - i);
        if (i < len)
            out[i++] = '?';
    }
    return out;
}

/* What write allocated besides the aliased record (freed by free_out). */
static void free_out(tender_bundle_v1_Bundle *b)
{
    free(b->checkpoint.data);
    free(b->consistency.data);
    for (size_t i = 0; b->events && i < b->n_events; i++)
        free(b->events[i].proof.data);
    free(b->events);
    free(b->current.data);
    for (size_t i = 0; b->versions && i < b->n_versions; i++)
        free(b->versions[i].data);
    free(b->versions);
    free(b->questions.data);
    free(b->documents);
    for (size_t i = 0; b->bids && i < b->n_bids; i++)
        free(b->bids[i].data);
    free(b->bids);
    free(b->opening.data);
    free(b->award.data);
    for (size_t i = 0; b->earlier_awards && i < b->n_earlier_awards; i++)
        free(b->earlier_awards[i].data);
    free(b->earlier_awards);
    free(b->awards.data);
    free(b->complaints.data);
}

static int put_log(const tnd_tender_record *r, tender_bundle_v1_Bundle *b, char *err,
                   size_t err_len)
{
    tender_log_v1_Checkpoint cp = {.note = r->checkpoint_note,
                                   .size = r->checkpoint.size,
                                   .root = {(uint8_t *)r->checkpoint.root, 32}};
    int rc =
        encode(&tender_log_v1_Checkpoint_desc, &cp, &b->checkpoint, "the checkpoint", err, err_len);
    if (rc)
        return rc;
    if (hashes((const uint8_t(*)[32])r->consistency, r->n_consistency, &b->consistency) ||
        !(b->events = calloc(r->n_events ? r->n_events : 1, sizeof *b->events)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (size_t i = 0; i < r->n_events; i++, b->n_events++) {
        const tnd_record_event *e = &r->events[i];
        tender_bundle_v1_Event *o = &b->events[i];
        o->index = e->index;
        o->leaf = e->leaf; /* aliased: the bytes as served */
        o->unlisted = e->unlisted;
        if (hashes((const uint8_t(*)[32])e->proof, e->n_proof, &o->proof))
            return fail(TND_ENOMEM, err, err_len, "out of memory");
    }
    return 0;
}

/* errors: room for each document's error as text. */
static int put_tender(const tnd_tender_record *r, tender_bundle_v1_Bundle *b, char (*errors)[256],
                      char *err, size_t err_len)
{
    int rc = encode(&tender_tenders_v1_Tender_desc, &r->current, &b->current, "the tender", err,
                    err_len);
    if (rc)
        return rc;
    if (!(b->versions = calloc(r->n_versions ? r->n_versions : 1, sizeof *b->versions)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; b->n_versions < r->n_versions; b->n_versions++)
        if ((rc = encode(&tender_tenders_v1_Tender_desc, &r->versions[b->n_versions],
                         &b->versions[b->n_versions], "a version", err, err_len)) != 0)
            return rc;
    if ((rc = encode(&tender_tenders_v1_ListQuestionsResponse_desc, &r->questions, &b->questions,
                     "the questions", err, err_len)) != 0)
        return rc;
    if (!(b->documents = calloc(r->n_documents ? r->n_documents : 1, sizeof *b->documents)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; b->n_documents < r->n_documents; b->n_documents++) {
        const tnd_record_document *d = &r->documents[b->n_documents];
        tender_bundle_v1_Document *o = &b->documents[b->n_documents];
        if (d->fetched && d->content.len != d->size)
            return fail(TND_EINVAL, err, err_len,
                        "document %s was fetched without its bytes (tnd_tender_record_fetch_all "
                        "keeps them)",
                        d->id);
        o->id = (char *)d->id;
        o->fetched = d->fetched;
        o->content = d->content;
        o->error =
            d->error[0] ? safe_text(errors[b->n_documents], sizeof errors[0], d->error) : NULL;
    }
    return 0;
}

static int put_opening(const tnd_tender_record *r, tender_bundle_v1_Bundle *b, char *err,
                       size_t err_len)
{
    int rc = 0;
    b->has_bids = r->has_bids;
    if (!(b->bids = calloc(r->n_bids ? r->n_bids : 1, sizeof *b->bids)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; b->n_bids < r->n_bids; b->n_bids++)
        if ((rc = encode(&tender_bids_v1_SealedBid_desc, &r->bids[b->n_bids], &b->bids[b->n_bids],
                         "a sealed bid", err, err_len)) != 0)
            return rc;
    if (r->has_opening && (rc = encode(&tender_bids_v1_OpeningRecord_desc, &r->opening, &b->opening,
                                       "the opening record", err, err_len)) != 0)
        return rc;
    if (r->has_award && (rc = encode(&tender_awards_v1_Award_desc, &r->award, &b->award,
                                     "the award", err, err_len)) != 0)
        return rc;
    size_t n = r->n_earlier_awards;
    if (!(b->earlier_awards = calloc(n ? n : 1, sizeof *b->earlier_awards)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; b->n_earlier_awards < n; b->n_earlier_awards++)
        if ((rc = encode(&tender_awards_v1_Award_desc, &r->earlier_awards[b->n_earlier_awards],
                         &b->earlier_awards[b->n_earlier_awards], "an earlier award", err,
                         err_len)) != 0)
            return rc;
    if (r->has_awards && (rc = encode(&tender_awards_v1_AwardList_desc, &r->awards, &b->awards,
                                      "the lots' awards", err, err_len)) != 0)
        return rc;
    return 0;
}

static int put_complaints(const tnd_tender_record *r, tender_bundle_v1_Bundle *b, char *err,
                          size_t err_len)
{
    if (r->complaints.n_complaints == 0)
        return 0; /* absent: none served */
    return encode(&tender_complaints_v1_ComplaintList_desc, &r->complaints, &b->complaints,
                  "the complaints", err, err_len);
}

int tnd_bundle_write(const tnd_tender_record *r, const tnd_bundle_keys *k, uint8_t **out,
                     size_t *len, char *err, size_t err_len)
{
    *out = NULL;
    *len = 0;
    if (!r->checkpoint_note)
        return fail(TND_EINVAL, err, err_len, "the record has no checkpoint");
    tender_bundle_v1_Bundle b;
    tender_bundle_v1_Bundle_init(&b);
    b.format = (char *)TND_BUNDLE_FORMAT;
    b.version = TND_BUNDLE_VERSION;
    b.tender_id = (char *)r->tender_id;
    b.fetched_ms = r->fetched_ms;
    b.saved_size = r->saved_size;
    b.log_key = (char *)k->log_key;
    b.saved_checkpoint = (char *)k->saved_note;
    /* A server's message cut to fit may end inside a character: kept as text. */
    char events_error[512], versions_error[256], questions_error[256], opening_error[256],
        award_error[256], awards_error[256], complaints_error[256];
    b.events_error = safe_text(events_error, sizeof events_error, r->events_error);
    b.versions_error = safe_text(versions_error, sizeof versions_error, r->versions_error);
    b.questions_error = safe_text(questions_error, sizeof questions_error, r->questions_error);
    b.opening_error = safe_text(opening_error, sizeof opening_error, r->opening_error);
    b.award_error = safe_text(award_error, sizeof award_error, r->award_error);
    b.awards_error = safe_text(awards_error, sizeof awards_error, r->awards_error);
    b.complaints_error = safe_text(complaints_error, sizeof complaints_error, r->complaints_error);
    b.ca = k->ca;
    b.crl = k->crl;
    int rc = put_log(r, &b, err, err_len);
    char(*errors)[256] = calloc(r->n_documents ? r->n_documents : 1, sizeof *errors);
    if (!rc && !errors)
        rc = fail(TND_ENOMEM, err, err_len, "out of memory");
    if (!rc)
        rc = put_tender(r, &b, errors, err, err_len);
    if (!rc)
        rc = put_opening(r, &b, err, err_len);
    if (!rc)
        rc = put_complaints(r, &b, err, err_len);
    if (!rc) {
        tnd_bytes enc = {0};
        rc = encode(BUNDLE_DESC, &b, &enc, "the bundle", err, err_len);
        *out = enc.data;
        *len = enc.len;
    }
    free_out(&b);
    free(errors);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* Decode part (what names it in messages) of the bundle into msg. */
static int decode(const tnd_msg_desc *d, const tnd_bytes *part, void *msg, const char *what,
                  char *err, size_t err_len)
{
    tnd_codec_err ce = {{0}};
    int rc = tnd_msg_decode(d, part->data, part->len, msg, &ce);
    if (rc == TND_ENOMEM)
        return fail(rc, err, err_len, "out of memory");
    if (rc)
        return fail(TND_EMALFORMED, err, err_len, "%s is not a %s: %s", what, d->full_name,
                    ce.text);
    return 0;
}

/* Split concatenated hashes into a malloc'd array (never NULL on success). */
static int split(const tnd_bytes *h, uint8_t (**out)[32], size_t *n, const char *what, char *err,
                 size_t err_len)
{
    if (h->len % 32 || h->len / 32 > TND_MERKLE_MAX_PROOF)
        return fail(TND_EMALFORMED, err, err_len,
                    "%s is %zu bytes, not whole 32-byte hashes (at most %d)", what, h->len,
                    TND_MERKLE_MAX_PROOF);
    if (!(*out = malloc(h->len ? h->len : 1)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    if (h->len)
        memcpy(*out, h->data, h->len);
    *n = h->len / 32;
    return 0;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static int get_log(tender_bundle_v1_Bundle *in, tnd_tender_record *r, char *err, size_t err_len)
{
    tender_log_v1_Checkpoint cp;
    tender_log_v1_Checkpoint_init(&cp);
    int rc = decode(&tender_log_v1_Checkpoint_desc, &in->checkpoint, &cp, "its checkpoint", err,
                    err_len);
    if (!rc && (!cp.note || !*cp.note || cp.root.len != 32))
        rc = fail(TND_EMALFORMED, err, err_len, "its checkpoint has no note or no root");
    if (!rc) {
        r->checkpoint_note = cp.note; /* moved */
        cp.note = NULL;
        r->checkpoint.size = cp.size;
        memcpy(r->checkpoint.root, cp.root.data, 32);
    }
    tender_log_v1_Checkpoint_free(&cp);
    if (!rc)
        rc = split(&in->consistency, &r->consistency, &r->n_consistency, "its consistency proof",
                   err, err_len);
    if (rc)
        return rc;
    if (!(r->events = calloc(in->n_events ? in->n_events : 1, sizeof *r->events)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (size_t i = 0; i < in->n_events; i++) {
        tender_bundle_v1_Event *e = &in->events[i];
        /* The rules fetch holds the server to. */
        if (i > 0 && e->index <= r->events[i - 1].index)
            return fail(TND_EMALFORMED, err, err_len, "its leaf %llu is out of order",
                        (unsigned long long)e->index);
        if (e->index >= r->checkpoint.size)
            return fail(TND_EMALFORMED, err, err_len, "its leaf %llu is beyond the checkpoint",
                        (unsigned long long)e->index);
        char what[64];
        snprintf(what, sizeof what, "the proof of leaf %llu", (unsigned long long)e->index);
        tnd_record_event *o = &r->events[r->n_events++];
        tender_events_v1_Event_init(&o->ev);
        o->index = e->index;
        o->unlisted = e->unlisted;
        o->leaf = e->leaf; /* moved */
        e->leaf = (tnd_bytes){0};
        if ((rc = split(&e->proof, &o->proof, &o->n_proof, what, err, err_len)) != 0)
            return rc;
        o->decoded = o->leaf.data &&
                     tender_events_v1_Event_decode(&o->ev, o->leaf.data, o->leaf.len, NULL) == 0;
    }
    copy_text(r->events_error, sizeof r->events_error, in->events_error);
    return 0;
}

static int get_tender(tender_bundle_v1_Bundle *in, tnd_tender_record *r, char *err, size_t err_len)
{
    int rc = 0; /* current and questions absent: none served */
    if (in->current.len && (rc = decode(&tender_tenders_v1_Tender_desc, &in->current, &r->current,
                                        "its tender", err, err_len)) != 0)
        return rc;
    /* Every version leaves at least one event (as fetch checks). */
    if (in->n_versions > r->n_events)
        return fail(TND_EMALFORMED, err, err_len, "it holds %zu versions but only %zu events",
                    in->n_versions, r->n_events);
    if (!(r->versions = calloc(in->n_versions ? in->n_versions : 1, sizeof *r->versions)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; r->n_versions < in->n_versions; r->n_versions++) {
        char what[48];
        snprintf(what, sizeof what, "its version %zu", r->n_versions + 1);
        tender_tenders_v1_Tender_init(&r->versions[r->n_versions]);
        if ((rc = decode(&tender_tenders_v1_Tender_desc, &in->versions[r->n_versions],
                         &r->versions[r->n_versions], what, err, err_len)) != 0)
            return rc;
    }
    copy_text(r->versions_error, sizeof r->versions_error, in->versions_error);
    if (in->questions.len &&
        (rc = decode(&tender_tenders_v1_ListQuestionsResponse_desc, &in->questions, &r->questions,
                     "its questions", err, err_len)) != 0)
        return rc;
    copy_text(r->questions_error, sizeof r->questions_error, in->questions_error);
    if (!(r->documents = calloc(in->n_documents ? in->n_documents : 1, sizeof *r->documents)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (size_t i = 0; i < in->n_documents; i++) {
        tender_bundle_v1_Document *d = &in->documents[i];
        tnd_record_document *o = &r->documents[r->n_documents++];
        copy_text(o->id, sizeof o->id, d->id);
        copy_text(o->error, sizeof o->error, d->error);
        if (!d->fetched)
            continue;
        /* The documents check compares what the version lists with these. */
        unsigned n = 0;
        if (EVP_Digest(d->content.data ? d->content.data : (const uint8_t *)"", d->content.len,
                       o->sha256, &n, EVP_sha256(), NULL) != 1 ||
            n != 32)
            return fail(TND_ENOMEM, err, err_len, "out of memory");
        o->size = d->content.len;
        o->content = d->content; /* moved */
        d->content = (tnd_bytes){0};
        o->fetched = true;
    }
    return 0;
}

static int get_opening(tender_bundle_v1_Bundle *in, tnd_tender_record *r, char *err, size_t err_len)
{
    int rc = 0;
    r->has_bids = in->has_bids;
    if (in->n_bids && !in->has_bids)
        return fail(TND_EMALFORMED, err, err_len,
                    "it holds sealed bids but says none were fetched");
    if (!(r->bids = calloc(in->n_bids ? in->n_bids : 1, sizeof *r->bids)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; r->n_bids < in->n_bids; r->n_bids++) {
        char what[48];
        snprintf(what, sizeof what, "its sealed bid %zu", r->n_bids + 1);
        tender_bids_v1_SealedBid_init(&r->bids[r->n_bids]);
        if ((rc = decode(&tender_bids_v1_SealedBid_desc, &in->bids[r->n_bids], &r->bids[r->n_bids],
                         what, err, err_len)) != 0)
            return rc;
    }
    r->has_opening = in->opening.len > 0;
    if (r->has_opening && (rc = decode(&tender_bids_v1_OpeningRecord_desc, &in->opening,
                                       &r->opening, "its opening record", err, err_len)) != 0)
        return rc;
    copy_text(r->opening_error, sizeof r->opening_error, in->opening_error);
    r->has_award = in->award.len > 0;
    if (r->has_award && (rc = decode(&tender_awards_v1_Award_desc, &in->award, &r->award,
                                     "its award", err, err_len)) != 0)
        return rc;
    copy_text(r->award_error, sizeof r->award_error, in->award_error);
    /* Each decision has its award_recorded event. */
    if (in->n_earlier_awards > r->n_events)
        return fail(TND_EMALFORMED, err, err_len,
                    "it holds %zu earlier decisions but only %zu events", in->n_earlier_awards,
                    r->n_events);
    size_t n = in->n_earlier_awards;
    if (!(r->earlier_awards = calloc(n ? n : 1, sizeof *r->earlier_awards)))
        return fail(TND_ENOMEM, err, err_len, "out of memory");
    for (; r->n_earlier_awards < n; r->n_earlier_awards++) {
        char what[48];
        snprintf(what, sizeof what, "its earlier award %zu", r->n_earlier_awards + 1);
        tender_awards_v1_Award_init(&r->earlier_awards[r->n_earlier_awards]);
        if ((rc = decode(&tender_awards_v1_Award_desc, &in->earlier_awards[r->n_earlier_awards],
                         &r->earlier_awards[r->n_earlier_awards], what, err, err_len)) != 0)
            return rc;
    }
    r->has_awards = in->awards.len > 0;
    if (r->has_awards && (rc = decode(&tender_awards_v1_AwardList_desc, &in->awards, &r->awards,
                                      "its lots' awards", err, err_len)) != 0)
        return rc;
    copy_text(r->awards_error, sizeof r->awards_error, in->awards_error);
    return 0;
}

static int get_complaints(tender_bundle_v1_Bundle *in, tnd_tender_record *r, char *err,
                          size_t err_len)
{
    int rc = 0;
    if (in->complaints.len &&
        (rc = decode(&tender_complaints_v1_ComplaintList_desc, &in->complaints, &r->complaints,
                     "its complaints", err, err_len)) != 0)
        return rc;
    copy_text(r->complaints_error, sizeof r->complaints_error, in->complaints_error);
    return 0;
}

/* The Header alone, so that another version is named as such, not as damage. */
static int check_header(const msgpack_object *obj, char *err, size_t err_len)
{
    tender_bundle_v1_Header h;
    tender_bundle_v1_Header_init(&h);
    tnd_codec_err ce = {{0}};
    int rc = tnd_msg_from_object(&tender_bundle_v1_Header_desc, obj, &h, &ce);
    if (rc == TND_ENOMEM)
        rc = fail(rc, err, err_len, "out of memory");
    else if (rc || !h.format || strcmp(h.format, TND_BUNDLE_FORMAT) != 0)
        rc = fail(TND_EMALFORMED, err, err_len, "not a tenderd evidence bundle");
    else if (h.version != TND_BUNDLE_VERSION)
        rc = fail(TND_ERANGE, err, err_len,
                  "an evidence bundle of version %u; this program reads version %u only", h.version,
                  TND_BUNDLE_VERSION);
    tender_bundle_v1_Header_free(&h);
    return rc;
}

int tnd_bundle_read(const uint8_t *data, size_t len, tnd_bundle *b, char *err, size_t err_len)
{
    memset(b, 0, sizeof *b);
    tnd_tender_record *r = &b->record;
    tender_tenders_v1_Tender_init(&r->current);
    tender_bids_v1_OpeningRecord_init(&r->opening);
    tender_awards_v1_Award_init(&r->award);
    tender_awards_v1_AwardList_init(&r->awards);
    tender_tenders_v1_ListQuestionsResponse_init(&r->questions);
    tender_complaints_v1_ComplaintList_init(&r->complaints);
    if (len > TND_BUNDLE_MAX_SIZE)
        return fail(TND_EMALFORMED, err, err_len, "larger than %zu bytes, the most a bundle has",
                    TND_BUNDLE_MAX_SIZE);
    msgpack_object obj;
    msgpack_zone *zone = NULL;
    tnd_codec_err ce = {{0}};
    int rc = tnd_msgpack_unpack(data, len, &obj, &zone, &ce);
    if (rc == TND_ENOMEM)
        return fail(rc, err, err_len, "out of memory");
    if (rc)
        return fail(TND_EMALFORMED, err, err_len,
                    "not a complete evidence bundle (truncated or damaged: %s)", ce.text);
    tender_bundle_v1_Bundle in;
    tender_bundle_v1_Bundle_init(&in);
    if ((rc = check_header(&obj, err, err_len)) == 0 &&
        (rc = tnd_msg_from_object(BUNDLE_DESC, &obj, &in, &ce)) != 0)
        rc = rc == TND_ENOMEM ? fail(rc, err, err_len, "out of memory")
                              : fail(TND_EMALFORMED, err, err_len, "a damaged bundle: %s", ce.text);
    msgpack_zone_free(zone);
    if (!rc && (!in.tender_id || !*in.tender_id))
        rc = fail(TND_EMALFORMED, err, err_len, "a bundle without a tender id");
    if (!rc) {
        copy_text(r->tender_id, sizeof r->tender_id, in.tender_id);
        r->fetched_ms = in.fetched_ms;
        r->saved_size = in.saved_size;
        b->version = in.version;
        rc = get_log(&in, r, err, err_len);
    }
    if (!rc)
        rc = get_tender(&in, r, err, err_len);
    if (!rc)
        rc = get_opening(&in, r, err, err_len);
    if (!rc)
        rc = get_complaints(&in, r, err, err_len);
    if (!rc) {
        b->log_key = in.log_key ? in.log_key : strdup("");
        in.log_key = NULL;
        if (in.saved_checkpoint && *in.saved_checkpoint) {
            b->saved_note = in.saved_checkpoint;
            in.saved_checkpoint = NULL;
        }
        b->ca = in.ca;
        b->crl = in.crl;
        in.ca = in.crl = (tnd_bytes){0};
        if (!b->log_key)
            rc = fail(TND_ENOMEM, err, err_len, "out of memory");
    }
    tender_bundle_v1_Bundle_free(&in);
    return rc;
}

void tnd_bundle_free(tnd_bundle *b)
{
    if (!b)
        return;
    tnd_tender_record_free(&b->record);
    free(b->log_key);
    free(b->saved_note);
    free(b->ca.data);
    free(b->crl.data);
    memset(b, 0, sizeof *b);
}
