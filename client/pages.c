/* Answers that come in pages (tender/pages.h): ask again with the cursor
 * until the server has no more, and join the pages into one message. */
#include <stdarg.h>
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

/* Each page is read into the fetch's arena and given back once what it
 * holds is copied into out, so only out outlives the fetch. */

int tnd_questions_fetch(tnd_client *c, const char *tender_id,
                        tender_tenders_v1_ListQuestionsResponse *out, tnd_status_info *st)
{
    tender_tenders_v1_ListQuestionsResponse_init(out);
    memset(st, 0, sizeof *st);
    char cursor[80] = "", what[96];
    snprintf(what, sizeof what, "the questions of %s", tender_id ? tender_id : "?");
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tender_tenders_v1_ListQuestionsRequest req = {
        .tender_id = tnd_arena_strdup(&a, tender_id), .page_size = 1000, .cursor = cursor};
    int code =
        tnd_arena_failed(&a) ? tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory") : 0;
    for (unsigned pages = 1; code == 0; pages++) {
        tnd_arena_mark m = tnd_arena_save(&a);
        tender_tenders_v1_ListQuestionsResponse page;
        code = tender_tenders_v1_Tenders_Questions_in(c, &a, &req, &page, NULL, st);
        if (code == 0)
            code = append(&tender_tenders_v1_Question_desc, (void **)&out->questions,
                          &out->n_questions, page.questions, page.n_questions, st);
        if (code == 0)
            code = next_cursor(cursor, sizeof cursor, page.next_cursor, pages, what, st);
        tnd_arena_rewind(&a, m);
        if (code == 0 && !*cursor)
            break;
    }
    if (code != 0)
        tender_tenders_v1_ListQuestionsResponse_free(out);
    tnd_arena_free(&a);
    return code;
}

int tnd_complaints_fetch(tnd_client *c, const char *tender_id,
                         tender_complaints_v1_ComplaintList *out, tnd_status_info *st)
{
    tender_complaints_v1_ComplaintList_init(out);
    memset(st, 0, sizeof *st);
    char cursor[96] = "", what[96];
    snprintf(what, sizeof what, "the complaints of %s", tender_id ? tender_id : "?");
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tender_complaints_v1_ListComplaintsRequest req = {
        .tender_id = tnd_arena_strdup(&a, tender_id), .page_size = 100, .cursor = cursor};
    int code =
        tnd_arena_failed(&a) ? tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory") : 0;
    for (unsigned pages = 1; code == 0; pages++) {
        tnd_arena_mark m = tnd_arena_save(&a);
        tender_complaints_v1_ComplaintList page;
        code = tender_complaints_v1_Complaints_List_in(c, &a, &req, &page, NULL, st);
        if (code == 0)
            code = append(&tender_complaints_v1_Complaint_desc, (void **)&out->complaints,
                          &out->n_complaints, page.complaints, page.n_complaints, st);
        if (code == 0)
            code = next_cursor(cursor, sizeof cursor, page.next_cursor, pages, what, st);
        tnd_arena_rewind(&a, m);
        if (code == 0 && !*cursor)
            break;
    }
    if (code != 0)
        tender_complaints_v1_ComplaintList_free(out);
    tnd_arena_free(&a);
    return code;
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
