/* Answers that come in pages (tender/pages.h): ask again with the cursor
 * until the server has no more, and join the pages into one message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "tender/pages.h"

/* Pages a fetch follows at most: far more than any real answer needs, and a
 * stop for a server that keeps sending cursors. */
#define MAX_PAGES 100000u

/* Append n elements of size each from *src to *dst (which holds *n_dst);
 * the elements move: *src is emptied, nothing is copied twice or freed. */
static int join(void **dst, size_t *n_dst, void **src, size_t *n_src, size_t size,
                tnd_status_info *st)
{
    if (*n_src == 0)
        return 0;
    char *nd = realloc(*dst, (*n_dst + *n_src) * size);
    if (!nd)
        return tnd__status_fail(st, TND_STATUS_INTERNAL, "out of memory");
    memcpy(nd + *n_dst * size, *src, *n_src * size);
    *dst = nd;
    *n_dst += *n_src;
    free(*src);
    *src = NULL;
    *n_src = 0;
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

int tnd_questions_fetch(tnd_client *c, const char *tender_id,
                        tender_tenders_v1_ListQuestionsResponse *out, tnd_status_info *st)
{
    tender_tenders_v1_ListQuestionsResponse_init(out);
    memset(st, 0, sizeof *st);
    char cursor[80] = "", what[96];
    snprintf(what, sizeof what, "the questions of %s", tender_id ? tender_id : "?");
    tender_tenders_v1_ListQuestionsRequest req = {
        .tender_id = (char *)tender_id, .page_size = 1000, .cursor = cursor};
    for (unsigned pages = 1;; pages++) {
        tender_tenders_v1_ListQuestionsResponse page;
        int code =
            tnd_client_unary(c, tender_tenders_v1_Tenders_Questions_method, &req, &page, NULL, st);
        if (code == 0) {
            code = join((void **)&out->questions, &out->n_questions, (void **)&page.questions,
                        &page.n_questions, sizeof *page.questions, st);
            if (code == 0)
                code = next_cursor(cursor, sizeof cursor, page.next_cursor, pages, what, st);
            tender_tenders_v1_ListQuestionsResponse_free(&page);
        }
        if (code != 0) {
            tender_tenders_v1_ListQuestionsResponse_free(out);
            return code;
        }
        if (!*cursor)
            return 0;
    }
}

int tnd_opening_fetch(tnd_client *c, const char *tender_id, tender_bids_v1_OpeningRecord *out,
                      tnd_status_info *st)
{
    tender_bids_v1_OpeningRecord_init(out);
    memset(st, 0, sizeof *st);
    char cursor[80] = "", what[96];
    snprintf(what, sizeof what, "the opening record of %s", tender_id ? tender_id : "?");
    tender_tenders_v1_TenderRef ref = {.id = (char *)tender_id, .pieces = true, .cursor = cursor};
    for (unsigned pages = 1;; pages++) {
        tender_bids_v1_OpeningRecord page;
        int code =
            tnd_client_unary(c, tender_bids_v1_Bids_GetOpening_method, &ref, &page, NULL, st);
        if (code == 0 && pages == 1) {
            /* Every field but the bids comes from the first page, which moves into out. */
            char *next = page.next_cursor;
            page.next_cursor = NULL;
            *out = page;
            code = next_cursor(cursor, sizeof cursor, next, pages, what, st);
            free(next);
        } else if (code == 0) {
            code = join((void **)&out->bids, &out->n_bids, (void **)&page.bids, &page.n_bids,
                        sizeof *page.bids, st);
            if (code == 0)
                code = next_cursor(cursor, sizeof cursor, page.next_cursor, pages, what, st);
            tender_bids_v1_OpeningRecord_free(&page);
        }
        if (code != 0) {
            tender_bids_v1_OpeningRecord_free(out);
            return code;
        }
        if (!*cursor)
            return 0;
    }
}
