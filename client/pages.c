/* Answers that come in pages (tender/pages.h): ask again with the cursor
 * until the server has no more, and join the pages into one message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "client_internal.h"
#include "tender/pages.h"

/* Pages a fetch follows at most: far more than any real answer needs, and a
 * stop for a server that keeps sending cursors. */
#define MAX_PAGES 100000u

/* Append copies of the n elements at src (of message type d, in a page's
 * arena) to *dst, which holds *n_dst and is owned with malloc. On failure
 * the elements copied so far stay counted (a failed copy is left empty). */
static int append(const tnd_msg_desc *d, void **dst, size_t *n_dst, const void *src, size_t n,
                  tnd_status_info *st)
{
    if (n == 0)
        return 0;
    char *nd = realloc(*dst, (*n_dst + n) * d->size);
    if (!nd)
        return tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
    *dst = nd;
    for (size_t i = 0; i < n; i++) {
        int rc = tnd_msg_copy(d, (const char *)src + i * d->size, nd + (*n_dst)++ * d->size);
        if (rc != 0)
            return tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
    }
    return 0;
}

/* The next cursor must be new: a server that repeats one would loop us. */
static int next_cursor(char *cursor, size_t len, const char *next, unsigned pages, const char *what,
                       tnd_status_info *st)
{
    if (!next || !*next) {
        cursor[0] = '\0';
        return 0;
    }
    if (strcmp(next, cursor) == 0 || strlen(next) >= len || pages >= MAX_PAGES)
        return tnd__status_fail(st, TND_STATUS_DATA_LOSS,
                                "the server's pages of %s do not go forward", what);
    snprintf(cursor, len, "%s", next);
    return 0;
}

/* A list that comes in pages: its method, the message it lists, and where
 * the list, its length and next_cursor sit in the method's answer. */
typedef struct paged_list {
    const tnd_method_desc *method;
    const tnd_msg_desc *item;
    size_t items, count, next; /* offsetof in the answer struct */
} paged_list;

#define FIELD(base, off, type) (*(type *)((char *)(base) + (off)))

/* Ask pl->method with req, whose cursor field is cursor (cap bytes, "" at
 * first), until the server has no more pages, gathering the items into out
 * (an answer of the method, initialised here, owned with malloc). Each page
 * is read into the fetch's arena and given back once its items are copied,
 * so only out outlives the fetch. */
static int fetch_pages(tnd_client *c, const paged_list *pl, const void *req, char *cursor,
                       size_t cap, void *out, const char *what, tnd_status_info *st)
{
    const tnd_msg_desc *d = pl->method->response;
    tnd_msg_init(d, out);
    memset(st, 0, sizeof *st);
    tnd_arena a;
    tnd_arena_init(&a, 0);
    void *page = malloc(d->size);
    int code = page ? 0 : tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
    for (unsigned pages = 1; code == 0; pages++) {
        tnd_arena_mark m = tnd_arena_save(&a);
        code = tnd_client_unary_in(c, pl->method, &a, req, page, NULL, st);
        if (code == 0)
            code = append(pl->item, &FIELD(out, pl->items, void *), &FIELD(out, pl->count, size_t),
                          FIELD(page, pl->items, void *), FIELD(page, pl->count, size_t), st);
        if (code == 0)
            code = next_cursor(cursor, cap, FIELD(page, pl->next, char *), pages, what, st);
        tnd_arena_rewind(&a, m);
        if (code == 0 && !*cursor)
            break;
    }
    if (code != 0)
        tnd_msg_free(d, out);
    free(page);
    tnd_arena_free(&a);
    return code;
}

int tnd_questions_fetch(tnd_client *c, const char *tender_id,
                        tender_tenders_v1_ListQuestionsResponse *out, tnd_status_info *st)
{
    typedef tender_tenders_v1_ListQuestionsResponse R;
    static const paged_list pl = {tender_tenders_v1_Tenders_Questions_method,
                                  &tender_tenders_v1_Question_desc, offsetof(R, questions),
                                  offsetof(R, n_questions), offsetof(R, next_cursor)};
    char cursor[96] = "", what[96];
    snprintf(what, sizeof what, "the questions of %s", tender_id ? tender_id : "?");
    tender_tenders_v1_ListQuestionsRequest req = {
        .tender_id = (char *)tender_id, .page_size = 1000, .cursor = cursor};
    return fetch_pages(c, &pl, &req, cursor, sizeof cursor, out, what, st);
}

int tnd_complaints_fetch(tnd_client *c, const char *tender_id,
                         tender_complaints_v1_ComplaintList *out, tnd_status_info *st)
{
    typedef tender_complaints_v1_ComplaintList R;
    static const paged_list pl = {tender_complaints_v1_Complaints_List_method,
                                  &tender_complaints_v1_Complaint_desc, offsetof(R, complaints),
                                  offsetof(R, n_complaints), offsetof(R, next_cursor)};
    char cursor[96] = "", what[96];
    snprintf(what, sizeof what, "the complaints of %s", tender_id ? tender_id : "?");
    tender_complaints_v1_ListComplaintsRequest req = {
        .tender_id = (char *)tender_id, .page_size = 100, .cursor = cursor};
    return fetch_pages(c, &pl, &req, cursor, sizeof cursor, out, what, st);
}

int tnd_opening_fetch(tnd_client *c, const char *tender_id, tender_bids_v1_OpeningRecord *out,
                      tnd_status_info *st)
{
    tender_bids_v1_OpeningRecord_init(out);
    memset(st, 0, sizeof *st);
    char cursor[80] = "", what[96];
    snprintf(what, sizeof what, "the opening record of %s", tender_id ? tender_id : "?");
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tender_tenders_v1_TenderRef ref = {
        .id = tnd_arena_strdup(&a, tender_id), .pieces = true, .cursor = cursor};
    int code =
        tnd_arena_failed(&a) ? tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory") : 0;
    for (unsigned pages = 1; code == 0; pages++) {
        tnd_arena_mark m = tnd_arena_save(&a);
        tender_bids_v1_OpeningRecord page;
        code = tender_bids_v1_Bids_GetOpening_in(c, &a, &ref, &page, NULL, st);
        if (code == 0 && pages == 1) {
            /* Every field but the bids and the cursor comes from the first page. */
            tender_bids_v1_OpeningRecord head = page;
            head.bids = NULL;
            head.n_bids = 0;
            head.next_cursor = NULL;
            if (tnd_msg_copy(&tender_bids_v1_OpeningRecord_desc, &head, out) != 0)
                code = tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
        }
        if (code == 0)
            code = append(&tender_bids_v1_OpenedBid_desc, (void **)&out->bids, &out->n_bids,
                          page.bids, page.n_bids, st);
        if (code == 0)
            code = next_cursor(cursor, sizeof cursor, page.next_cursor, pages, what, st);
        tnd_arena_rewind(&a, m);
        if (code == 0 && !*cursor)
            break;
    }
    if (code != 0)
        tender_bids_v1_OpeningRecord_free(out);
    tnd_arena_free(&a);
    return code;
}
