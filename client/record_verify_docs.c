/* The checks of what a tender publishes beside its fields: each document's
 * content against the record its version lists and its DOCUMENT_ADDED
 * event, and each answered question against its last QUESTION_ANSWERED
 * event (tender/verify.h). */
#include <stdio.h>
#include <string.h>

#include "record_verify.h"

#define EV(name) tender_events_v1_EventKind_##name

void tnd__vcheck_documents(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    const tender_tenders_v1_Tender *t = r->n_versions ? &r->versions[r->n_versions - 1] : NULL;
    if (!t) {
        tnd__vreport(run, "documents", TND_CHECK_SKIPPED, "no published version to check");
        return;
    }
    for (size_t i = 0; i < t->n_documents; i++) {
        const tender_tenders_v1_Document *doc = &t->documents[i];
        const char *id = doc->id ? doc->id : "?";
        long at = tnd__vlast(r, EV(DOCUMENT_ADDED), id);
        if (at < 0 || !tnd__vhash_is(&tender_tenders_v1_Document_desc, doc,
                                     &r->events[at].ev.object_hash)) {
            tnd__vreport(run, "documents", TND_CHECK_FAILED,
                         "document %s as the tender lists it %s", id,
                         at < 0 ? "has no document_added event in the log"
                                : "differs from what its document_added event logged");
            return;
        }
        const tnd_record_document *d = i < r->n_documents ? &r->documents[i] : NULL;
        if (d && strcmp(d->id, id) != 0) { /* a record not fetched in order (a bundle) */
            tnd__vreport(run, "documents", TND_CHECK_FAILED,
                         "document %s as the tender lists it has document %s in its place", id,
                         d->id);
            return;
        }
        if (!d || !d->fetched) {
            tnd__vreport(run, "documents", TND_CHECK_FAILED, "document %s cannot be downloaded: %s",
                         id, d && d->error[0] ? d->error : "not fetched");
            return;
        }
        if (doc->sha256.len != 32 || memcmp(doc->sha256.data, d->sha256, 32) != 0 ||
            doc->size != d->size) {
            tnd__vreport(run, "documents", TND_CHECK_FAILED,
                         "document %s as served (%llu bytes) is not the one logged (%llu bytes, "
                         "SHA-256 of event %llu)",
                         id, (unsigned long long)d->size, (unsigned long long)doc->size,
                         (unsigned long long)r->events[at].index);
            return;
        }
    }
    /* And the other way: no logged document was dropped from the tender. */
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || ev->kind != EV(DOCUMENT_ADDED))
            continue;
        bool listed = false;
        for (size_t j = 0; !listed && j < t->n_documents; j++)
            listed = t->documents[j].id && ev->object_id &&
                     strcmp(t->documents[j].id, ev->object_id) == 0;
        if (!listed) {
            tnd__vreport(run, "documents", TND_CHECK_FAILED,
                         "document %s was added (event %llu) but the tender does not list it",
                         ev->object_id ? ev->object_id : "?",
                         (unsigned long long)r->events[i].index);
            return;
        }
    }
    tnd__vreport(run, "documents", TND_CHECK_OK,
                 "%zu document(s), each as logged and downloaded with its logged SHA-256",
                 t->n_documents);
}

/* The served question with this id, or NULL. */
static const tender_tenders_v1_Question *served(const tnd_tender_record *r, const char *id)
{
    for (size_t i = 0; id && i < r->questions.n_questions; i++)
        if (r->questions.questions[i].id && strcmp(r->questions.questions[i].id, id) == 0)
            return &r->questions.questions[i];
    return NULL;
}

void tnd__vcheck_questions(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    if (r->questions_error[0]) {
        tnd__vreport(run, "questions", TND_CHECK_FAILED, "the questions are not served: %s",
                     r->questions_error);
        return;
    }
    if (!r->n_versions) {
        tnd__vreport(run, "questions", TND_CHECK_SKIPPED, "no published version to check");
        return;
    }
    size_t answered = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || ev->kind != EV(QUESTION_ANSWERED) || !ev->object_id ||
            tnd__vlast(r, EV(QUESTION_ANSWERED), ev->object_id) != (long)i)
            continue; /* only the last answer of each question stands */
        const tender_tenders_v1_Question *q = served(r, ev->object_id);
        if (!q || !q->answer || !*q->answer) {
            tnd__vreport(run, "questions", TND_CHECK_FAILED,
                         "question %s was answered (event %llu) but the answer is not served",
                         ev->object_id, (unsigned long long)r->events[i].index);
            return;
        }
        /* Published without the asker; the buyer's own view names it. */
        tender_tenders_v1_Question pub = *q;
        pub.asked_by_org = NULL;
        if (!tnd__vhash_is(&tender_tenders_v1_Question_desc, &pub, &ev->object_hash)) {
            tnd__vreport(run, "questions", TND_CHECK_FAILED,
                         "question %s with its answer as served differs from what event %llu "
                         "logged",
                         ev->object_id, (unsigned long long)r->events[i].index);
            return;
        }
        answered++;
    }
    for (size_t i = 0; i < r->questions.n_questions; i++) {
        const tender_tenders_v1_Question *q = &r->questions.questions[i];
        if (q->answer && *q->answer &&
            tnd__vlast(r, EV(QUESTION_ANSWERED), q->id ? q->id : "") < 0) {
            tnd__vreport(run, "questions", TND_CHECK_FAILED,
                         "question %s is served with an answer the log never recorded",
                         q->id ? q->id : "?");
            return;
        }
    }
    tnd__vreport(run, "questions", TND_CHECK_OK,
                 "%zu answered question(s), each as its last answer event logged", answered);
}
