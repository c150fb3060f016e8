/* The rules of lots and items (tender/lots.h, docs/LOTS.md). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tender/award.h"
#include "tender/currency.h"
#include "tender/lots.h"

#define LOTS_SET(f) ((f) && (f)->n_lots > 0)

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

__attribute__((format(printf, 3, 4))) static int bad(char *msg, size_t len, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return TND_EINVAL;
}

/* minor units of currency cur as a decimal amount: "150000.00 EUR". */
static const char *amount_text(int64_t minor, const char *cur, char *buf, size_t len)
{
    int exp = tnd_currency_exp(cur);
    uint64_t m = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor, p = 1;
    for (int i = 0; i < exp; i++)
        p *= 10;
    if (exp == 0)
        snprintf(buf, len, "%s%llu %s", minor < 0 ? "-" : "", (unsigned long long)m, cur);
    else
        snprintf(buf, len, "%s%llu.%0*llu %s", minor < 0 ? "-" : "", (unsigned long long)(m / p),
                 exp, (unsigned long long)(m % p), cur);
    return buf;
}

bool tnd_lot_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool tnd_quantity_valid(const char *q)
{
    size_t n = q ? strlen(q) : 0, digits = 0, decimals = 0;
    bool point = false;
    if (n < 1 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '.') {
            if (point || digits == 0)
                return false;
            point = true;
        } else if (q[i] >= '0' && q[i] <= '9') {
            if (point)
                decimals++;
            else
                digits++;
        } else {
            return false;
        }
    }
    return !(point && decimals == 0) && decimals <= 6;
}

int tnd_lot_find(const tender_tenders_v1_TenderFields *f, const char *id)
{
    if (!f || !id)
        return -1;
    for (size_t i = 0; i < f->n_lots; i++)
        if (f->lots[i].id && strcmp(f->lots[i].id, id) == 0)
            return (int)i;
    return -1;
}

void tnd_lot_view(const tender_tenders_v1_TenderFields *f, size_t i,
                  tender_tenders_v1_TenderFields *out)
{
    *out = *f;
    out->estimated_value = f->lots[i].value;
    out->award_criteria = f->lots[i].award_criteria;
    out->criteria = f->lots[i].criteria;
    out->n_criteria = f->lots[i].n_criteria;
    out->lots = NULL;
    out->n_lots = 0;
    out->items = NULL;
    out->n_items = 0;
}

static int check_lot(const tender_tenders_v1_TenderFields *f, size_t i, char *msg, size_t len)
{
    const tender_tenders_v1_Lot *l = &f->lots[i];
    const tender_common_v1_Money *tv = f->estimated_value;
    char m[240];
    if (!tnd_lot_id_valid(l->id))
        return bad(msg, len,
                   "fields.lots[%zu].id: required, 1 to 64 characters of A-Z a-z 0-9 . _ - "
                   "(e.g. LOT-1)",
                   i);
    for (size_t j = 0; j < i; j++)
        if (strcmp(f->lots[j].id, l->id) == 0)
            return bad(msg, len,
                       "fields.lots[%zu].id: \"%s\" is the id of lots[%zu] too; each "
                       "lot has its own id",
                       i, l->id, j);
    if (blank(l->title))
        return bad(msg, len, "fields.lots[%zu].title: required (lot %s)", i, l->id);
    if (!l->value || l->value->minor_units <= 0)
        return bad(msg, len, "fields.lots[%zu].value: required, above zero (lot %s)", i, l->id);
    if (!l->value->currency || strcmp(l->value->currency, tv->currency) != 0)
        return bad(msg, len,
                   "fields.lots[%zu].value.currency: \"%s\"; a lot's value is in the tender's "
                   "currency, %s (lot %s)",
                   i, l->value->currency ? l->value->currency : "", tv->currency, l->id);
    tender_tenders_v1_TenderFields view;
    tnd_lot_view(f, i, &view);
    if (tnd_award_criteria_check(&view, m, sizeof m) != 0) {
        /* "fields.criteria: ..." of the lot's view: name the lot's field. */
        const char *rest = strncmp(m, "fields.", 7) == 0 ? m + 7 : m;
        return bad(msg, len, "fields.lots[%zu].%s (lot %s)", i, rest, l->id);
    }
    return 0;
}

static int check_lots(const tender_tenders_v1_TenderFields *f, char *msg, size_t len)
{
    const tender_common_v1_Money *tv = f->estimated_value;
    char a[64], b[64];
    if (f->n_lots > TND_LOTS_MAX)
        return bad(msg, len, "fields.lots: %zu lots; at most %d", f->n_lots, TND_LOTS_MAX);
    if (f->award_criteria != tender_tenders_v1_AwardCriteria_AWARD_CRITERIA_UNSPECIFIED ||
        f->n_criteria)
        return bad(msg, len,
                   "fields.award_criteria: with lots, each lot has its award criteria; leave "
                   "the tender's award_criteria and criteria unset");
    if (!tv || !tv->currency || !*tv->currency)
        return bad(msg, len,
                   "fields.estimated_value: required with lots (the sum of the lots' values, "
                   "in the lots' currency)");
    int64_t sum = 0;
    for (size_t i = 0; i < f->n_lots; i++) {
        int rc = check_lot(f, i, msg, len);
        if (rc)
            return rc;
        if (__builtin_add_overflow(sum, f->lots[i].value->minor_units, &sum))
            return bad(msg, len,
                       "fields.lots: the lots' values add up to more than an amount "
                       "can hold");
    }
    if (sum != tv->minor_units)
        return bad(msg, len,
                   "fields.lots: the lots' values add up to %s, the estimated value is %s; "
                   "they must be equal",
                   amount_text(sum, tv->currency, a, sizeof a),
                   amount_text(tv->minor_units, tv->currency, b, sizeof b));
    return 0;
}

static int64_t ts_ms(const tender_common_v1_Timestamp *t)
{
    return t ? t->seconds * 1000 + t->nanos / 1000000 : 0;
}

static int check_item(const tender_tenders_v1_TenderFields *f, size_t i, char *msg, size_t len)
{
    const tender_tenders_v1_Item *it = &f->items[i];
    if (blank(it->id) || !printable(it->id))
        return bad(msg, len, "fields.items[%zu].id: required, printable text (e.g. 1 or ITEM-1)",
                   i);
    for (size_t j = 0; j < i; j++)
        if (strcmp(f->items[j].id, it->id) == 0)
            return bad(msg, len,
                       "fields.items[%zu].id: \"%s\" is the id of items[%zu] too; each "
                       "item has its own id",
                       i, it->id, j);
    if (blank(it->description))
        return bad(msg, len, "fields.items[%zu].description: required (item %s)", i, it->id);
    if (it->quantity && *it->quantity && !tnd_quantity_valid(it->quantity))
        return bad(msg, len,
                   "fields.items[%zu].quantity: \"%s\"; a non-negative decimal with at most 6 "
                   "decimals, e.g. 12 or 0.5 (item %s)",
                   i, it->quantity, it->id);
    bool unit = it->unit && *it->unit;
    if (unit && !tnd_unit_name(it->unit))
        return bad(msg, len,
                   "fields.items[%zu].unit: \"%s\" is not a unit code this server knows; a "
                   "UN/CEFACT Recommendation 20 code such as H87 (piece), KGM, MTQ, HUR or "
                   "E48 (service unit) (item %s)",
                   i, it->unit, it->id);
    if (!unit && it->quantity && *it->quantity)
        return bad(msg, len,
                   "fields.items[%zu].unit: required with a quantity, e.g. H87 (piece) or C62 "
                   "(one) (item %s)",
                   i, it->id);
    const tender_tenders_v1_Classification *c = it->classification;
    if (c && !blank(c->code) && blank(c->scheme))
        return bad(msg, len,
                   "fields.items[%zu].classification.scheme: required with a code (e.g. CPV) "
                   "(item %s)",
                   i, it->id);
    if (it->delivery_start && it->delivery_end &&
        ts_ms(it->delivery_end) < ts_ms(it->delivery_start))
        return bad(msg, len,
                   "fields.items[%zu].delivery_end: before delivery_start; the delivery period "
                   "ends after it starts (item %s)",
                   i, it->id);
    bool in_lot = it->lot_id && *it->lot_id;
    if (LOTS_SET(f) && !in_lot)
        return bad(msg, len,
                   "fields.items[%zu].lot_id: required: the tender has lots; name the lot of "
                   "item %s",
                   i, it->id);
    if (LOTS_SET(f) && tnd_lot_find(f, it->lot_id) < 0)
        return bad(msg, len,
                   "fields.items[%zu].lot_id: \"%s\" is not a lot of the tender (item %s)", i,
                   it->lot_id, it->id);
    if (!LOTS_SET(f) && in_lot)
        return bad(msg, len,
                   "fields.items[%zu].lot_id: \"%s\", but the tender has no lots; leave it "
                   "empty (item %s)",
                   i, it->lot_id, it->id);
    return 0;
}

int tnd_lots_check(const tender_tenders_v1_TenderFields *f, char *msg, size_t len)
{
    if (!f)
        return bad(msg, len, "fields: required");
    int rc = LOTS_SET(f) ? check_lots(f, msg, len) : 0;
    if (rc)
        return rc;
    if (f->n_items > TND_ITEMS_MAX)
        return bad(msg, len, "fields.items: %zu items; at most %d", f->n_items, TND_ITEMS_MAX);
    for (size_t i = 0; i < f->n_items && !rc; i++)
        rc = check_item(f, i, msg, len);
    return rc;
}

int tnd_lots_amend_check(const tender_tenders_v1_TenderFields *prev,
                         const tender_tenders_v1_TenderFields *next, char *msg, size_t len)
{
    if (!prev || !next)
        return bad(msg, len, "fields: required");
    if (!LOTS_SET(prev) && LOTS_SET(next))
        return bad(msg, len,
                   "fields.lots: the tender was published without lots and its bids answer it "
                   "as a whole; an amendment cannot divide it (cancel it and publish a tender "
                   "with lots)");
    for (size_t i = 0; i < prev->n_lots; i++)
        if (tnd_lot_find(next, prev->lots[i].id) < 0)
            return bad(msg, len,
                       "fields.lots: lot %s is missing; an amendment does not remove a lot: "
                       "cancel it: Tenders/CancelLot",
                       prev->lots[i].id);
    return 0;
}
