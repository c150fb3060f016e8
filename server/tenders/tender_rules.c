/* Validation and visibility rules for tenders. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tender/award.h"
#include "tender/committee.h"
#include "tender/currency.h"
#include "tender/lots.h"
#include "tenders.h"

static const char *const status_names[] = {"unspecified", "draft",    "active",
                                           "closed",      "opened",   "awarded",
                                           "complete",    "cancelled", "unsuccessful"};

const char *tnd_tender_status_name(int status)
{
    if (status < 0 || status >= (int)(sizeof status_names / sizeof *status_names))
        return "unknown";
    return status_names[status];
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(msg, len, __VA_ARGS__);                                                           \
        return TND_STATUS_INVALID_ARGUMENT;                                                        \
    } while (0)

int tnd__tender_check_fields(const tender_tenders_v1_TenderFields *f, char *msg, size_t len)
{
    if (!f)
        BAD("fields: required");
    if (blank(f->title))
        BAD("fields.title: required");
    const tender_common_v1_Money *v = f->estimated_value;
    if (v) {
        if (v->minor_units < 0)
            BAD("fields.estimated_value.minor_units: must not be negative");
        /* The table tenderctl parses amounts with: a code in it has a known minor unit. */
        if (!tnd_currency_known(v->currency))
            BAD("fields.estimated_value.currency: an ISO 4217 code in use such as KRW or EUR");
    }
    if (f->method > tender_tenders_v1_ProcurementMethod_DIRECT || f->method < 0)
        BAD("fields.method: unknown procurement method %d", (int)f->method);
    if (f->category > tender_tenders_v1_MainCategory_SERVICES || f->category < 0)
        BAD("fields.category: unknown category %d", (int)f->category);
    if (f->classification && !blank(f->classification->code) && blank(f->classification->scheme))
        BAD("fields.classification.scheme: required with a code (e.g. CPV)");
    /* A draft may lack the opening key and shares; what it has must be right. */
    if (f->committee && tnd_committee_check(f->committee, false, msg, len) != 0)
        return TND_STATUS_INVALID_ARGUMENT;
    /* Before the tender-level criteria: with lots they belong to each lot. */
    if (tnd_lots_check(f, msg, len) != 0)
        return TND_STATUS_INVALID_ARGUMENT;
    if (tnd_award_criteria_check(f, msg, len) != 0)
        return TND_STATUS_INVALID_ARGUMENT;
    return 0;
}

int tnd__tender_check_times(const tender_tenders_v1_TenderFields *f, int64_t now_ms,
                           uint64_t min_period_ms, int64_t kept_enquiry_ms, char *msg, size_t len)
{
    char a[32], b[32];
    int64_t enq = tnd_ts_ms(f->enquiry_deadline), sub = tnd_ts_ms(f->submission_deadline),
            open = tnd_ts_ms(f->opening_time);
    if (!f->submission_deadline)
        BAD("fields.submission_deadline: required to publish");
    if (!f->opening_time)
        BAD("fields.opening_time: required to publish");
    if (!f->committee || f->committee->n_members == 0)
        BAD("fields.committee: an opening committee (members and threshold k) is required to "
            "publish");
    /* Bids are sealed to the opening key; the opening checks each share
     * against its commitment: both must exist before anyone can bid. */
    if (tnd_committee_check(f->committee, true, msg, len) != 0)
        return TND_STATUS_INVALID_ARGUMENT;
    if (f->enquiry_deadline && enq > sub)
        BAD("fields.enquiry_deadline: %s is after the submission deadline %s",
            tnd_ms_text(enq, a, sizeof a), tnd_ms_text(sub, b, sizeof b));
    if (open < sub)
        BAD("fields.opening_time: %s is before the submission deadline %s",
            tnd_ms_text(open, a, sizeof a), tnd_ms_text(sub, b, sizeof b));
    if (f->enquiry_deadline && enq <= now_ms && enq != kept_enquiry_ms)
        BAD("fields.enquiry_deadline: %s is not in the future", tnd_ms_text(enq, a, sizeof a));
    if (sub < now_ms + (int64_t)min_period_ms)
        BAD("fields.submission_deadline: %s leaves less than the minimum tendering period "
            "(%llu s from now, %s)",
            tnd_ms_text(sub, a, sizeof a), (unsigned long long)(min_period_ms / 1000),
            tnd_ms_text(now_ms + (int64_t)min_period_ms, b, sizeof b));
    return 0;
}

bool tnd_tender_owner(const tnd_tender *t, const tnd_peer_identity *p)
{
    return p->authenticated && p->role == TND_ROLE_OFFICER && t->buyer &&
           strcmp(t->buyer, p->org) == 0;
}

int tnd_tender_read_visible(tnd_store *s, MDB_txn *txn, const char *id,
                            const tnd_peer_identity *p, tnd_tender *out)
{
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_tenders(key, id);
    int rc = kl ? tnd_store_get_msg(s, txn, TND_TABLE_TENDERS, key, kl,
                                    &tender_tenders_v1_Tender_desc, out)
                : TND_ENOTFOUND;
    if (rc == 0 && !tnd_tender_visible(out, p))
        rc = TND_ENOTFOUND;
    return rc;
}

bool tnd_tender_published(const tnd_tender *t)
{
    return t->version > 0;
}

/* Publishing, not the status, makes a tender public: a draft cancelled
 * before it was published stays its buyer's. */
bool tnd_tender_visible(const tnd_tender *t, const tnd_peer_identity *p)
{
    if (tnd_tender_published(t))
        return true;
    return p->authenticated && t->buyer && strcmp(t->buyer, p->org) == 0;
}


int tnd__tender_lot_states(tnd_arena *a, const tnd_tender *prev,
                           const tender_tenders_v1_TenderFields *f,
                           tender_tenders_v1_LotState **out, size_t *n)
{
    /* out may be prev's own: set it only at the end. */
    if (!f || f->n_lots == 0) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    tender_tenders_v1_LotState *s = tnd_arena_calloc(a, f->n_lots, sizeof *s);
    if (!s)
        return TND_ENOMEM;
    for (size_t i = 0; i < f->n_lots; i++) {
        tender_tenders_v1_LotState_init(&s[i]);
        s[i].lot_id = tnd_arena_strdup(a, f->lots[i].id);
        s[i].status = tender_tenders_v1_LotStatus_LOT_ACTIVE;
        for (size_t j = 0; prev && j < prev->n_lot_states; j++)
            if (prev->lot_states[j].lot_id &&
                strcmp(prev->lot_states[j].lot_id, f->lots[i].id) == 0) {
                s[i].status = prev->lot_states[j].status;
                s[i].cancel_reason = tnd_arena_strdup(a, prev->lot_states[j].cancel_reason);
            }
        if (!s[i].lot_id)
            return TND_ENOMEM;
    }
    *out = s;
    *n = f->n_lots;
    return 0;
}
