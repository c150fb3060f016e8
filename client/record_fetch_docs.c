/* Fetching what a tender publishes besides its versions, for an audit
 * (tender/verify.h): the answered questions, the public complaints, the
 * earlier award decisions and every document's content,
 * hashed as it streams in (and kept, for a bundle); and the rule for a record the server should
 * hold but does not serve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "arena.h"
#include "record_verify.h"
#include "tender/pages.h"

int tnd__fetch_missing(tnd_status_info *st, char *note, size_t len)
{
    if (st->code != TND_STATUS_NOT_FOUND && st->code != TND_STATUS_DATA_LOSS)
        return st->code;
    const char *msg = st->message[0] ? st->message : "not found";
    size_t n = strnlen(msg, len - 1); /* a long message is cut, on purpose */
    memcpy(note, msg, n);
    note[n] = '\0';
    memset(st, 0, sizeof *st);
    return 0;
}

int tnd__fetch_questions(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    int code = tnd_questions_fetch(c, r->tender_id, &r->questions, st);
    return code ? tnd__fetch_missing(st, r->questions_error, sizeof r->questions_error) : 0;
}

int tnd__fetch_complaints(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    int code = tnd_complaints_fetch(c, r->tender_id, &r->complaints, st);
    if (code == 0)
        return 0;
    /* A server older than complaints: noted, as the check needs the list
     * only when the log shows an accepted complaint. */
    if (code == TND_STATUS_UNIMPLEMENTED) {
        snprintf(r->complaints_error, sizeof r->complaints_error,
                 "the server does not serve complaints (%.200s)",
                 st->message[0] ? st->message : "unimplemented");
        memset(st, 0, sizeof *st);
        return 0;
    }
    return tnd__fetch_missing(st, r->complaints_error, sizeof r->complaints_error);
}

int tnd__fetch_earlier_awards(tnd_client *c, tnd_tender_record *r, tnd_status_info *st)
{
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || ev->kind != tender_events_v1_EventKind_AWARD_RECORDED ||
            !ev->object_id || (r->award.id && strcmp(ev->object_id, r->award.id) == 0) ||
            tnd__vlast(r, tender_events_v1_EventKind_AWARD_RECORDED, ev->object_id) != (long)i)
            continue; /* the latest decision, or one asked for already */
        tender_awards_v1_Award *na =
            realloc(r->earlier_awards, (r->n_earlier_awards + 1) * sizeof *na);
        if (!na) {
            st->code = TND_STATUS_INTERNAL;
            snprintf(st->message, sizeof st->message, "out of memory");
            return st->code;
        }
        r->earlier_awards = na;
        tender_awards_v1_Award_init(&na[r->n_earlier_awards]);
        tender_awards_v1_AwardRef ref = {.id = ev->object_id};
        int code = tnd_client_unary(c, tender_awards_v1_Awards_GetById_method, &ref,
                                    &na[r->n_earlier_awards], NULL, st);
        if (code == 0) {
            r->n_earlier_awards++;
            continue;
        }
        char why[200];
        if ((code = tnd__fetch_missing(st, why, sizeof why)) != 0)
            return code;
        snprintf(r->award_error, sizeof r->award_error, "decision %s is not served: %s",
                 ev->object_id, why);
        return 0;
    }
    return 0;
}

/* Append a chunk to a kept document, at most TND_RECORD_MAX_DOCUMENT bytes
 * in all. 0, or a status code. */
static int keep_chunk(tnd_record_document *d, const tnd_bytes *ch, tnd_status_info *st)
{
    tnd_bytes *k = &d->content;
    if (ch->len > TND_RECORD_MAX_DOCUMENT - k->len) {
        st->code = TND_STATUS_DATA_LOSS;
        snprintf(st->message, sizeof st->message,
                 "document %s is larger than %u bytes, the most a tender document may have", d->id,
                 TND_RECORD_MAX_DOCUMENT);
        return st->code;
    }
    uint8_t *nd = ch->len ? realloc(k->data, k->len + ch->len) : k->data;
    if (ch->len && !nd) {
        st->code = TND_STATUS_INTERNAL;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    if (ch->len)
        memcpy(nd + k->len, ch->data, ch->len);
    k->data = nd;
    k->len += ch->len;
    return 0;
}

/* Stream one document through SHA-256; the hash and size are kept, and
 * with keep its bytes. */
static int fetch_document(tnd_client *c, const char *tender_id, tnd_record_document *d, bool keep,
                          tnd_status_info *st)
{
    tnd_arena a; /* the request's copy of the id */
    tnd_arena_init(&a, 0);
    tender_tenders_v1_DocumentRef ref = {.tender_id = tnd_arena_strdup(&a, tender_id),
                                         .document_id = d->id};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (tnd_arena_failed(&a) || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        tnd_arena_free(&a);
        st->code = TND_STATUS_INTERNAL;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    tnd_client_stream *s;
    int code = tnd_client_stream_open(c, tender_tenders_v1_Tenders_Download_method, &ref, NULL, &s,
                                      st);
    if (code == 0) {
        tender_tenders_v1_DocumentChunk ch;
        while (tnd_client_stream_next(s, &ch, st) == 1) {
            if (ch.data.len && EVP_DigestUpdate(md, ch.data.data, ch.data.len) != 1)
                st->code = TND_STATUS_INTERNAL;
            d->size += ch.data.len;
            int kept = st->code == 0 && keep ? keep_chunk(d, &ch.data, st) : 0;
            tender_tenders_v1_DocumentChunk_free(&ch);
            if (st->code || kept)
                break;
        }
        tnd_client_stream_close(s);
        code = st->code;
    }
    tnd_arena_free(&a);
    unsigned n = 0;
    if (code == 0 && EVP_DigestFinal_ex(md, d->sha256, &n) == 1 && n == 32)
        d->fetched = true;
    EVP_MD_CTX_free(md);
    if (code) { /* a part of a document is none */
        free(d->content.data);
        d->content = (tnd_bytes){0};
        return tnd__fetch_missing(st, d->error, sizeof d->error);
    }
    return d->fetched ? 0 : (st->code = TND_STATUS_INTERNAL);
}

int tnd__fetch_documents(tnd_client *c, tnd_tender_record *r, bool keep, tnd_status_info *st)
{
    const tender_tenders_v1_Tender *t = r->n_versions ? &r->versions[r->n_versions - 1] : NULL;
    if (!t || t->n_documents == 0)
        return 0;
    r->documents = calloc(t->n_documents, sizeof *r->documents);
    if (!r->documents) {
        st->code = TND_STATUS_INTERNAL;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    for (size_t i = 0; i < t->n_documents; i++) {
        tnd_record_document *d = &r->documents[r->n_documents++];
        snprintf(d->id, sizeof d->id, "%s", t->documents[i].id ? t->documents[i].id : "");
        int code = fetch_document(c, r->tender_id, d, keep, st);
        if (code)
            return code;
    }
    return 0;
}
