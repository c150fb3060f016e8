/* tenderctl tender create/edit/amend --lot, --item, --drop-lot, --drop-item:
 * the lots and items of a tender, typed one per flag, and how `tender show`
 * prints them. The rules they follow are the server's (tender/lots.h); this
 * file reads the flags and checks their form, with the same functions.
 *
 *   --lot  'ID: TITLE; VALUE[; criteria=NAME:WEIGHT,...|lowest-price][; description=TEXT]'
 *   --item 'ID: DESCRIPTION[; QUANTITY UNIT][; lot=LOT][; cpv=CODE][; place=TEXT]
 *           [; from=DATE][; to=DATE]'
 *
 * A flag naming an id the tender has replaces that lot or item; a new id is
 * added at the end. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tender/cancel.h"
#include "tender/lots.h"
#include "tender_cmd.h"

#define SEGS 10

/* Trim spaces at both ends, in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Split a copy of v: "ID: FIRST; SEG; SEG" into id, seg[0] = FIRST, seg[1..].
 * Returns the number of segments, or -1 (no "ID:"). */
static int split(tnd_arena *arena, const char *v, char **id, char **seg)
{
    char *s = tnd_arena_strdup(arena, v), *colon = s ? strchr(s, ':') : NULL;
    if (!colon)
        return -1;
    *colon = 0;
    *id = trim(s);
    int n = 0;
    for (char *p = colon + 1, *semi; p && n < SEGS; p = semi ? semi + 1 : NULL) {
        semi = strchr(p, ';');
        if (semi)
            *semi = 0;
        seg[n++] = trim(p);
    }
    return n;
}

/* "key=value" of segment s: key into *k, the value returned; NULL if none. */
static char *keyed(char *s, char **k)
{
    char *eq = strchr(s, '=');
    if (!eq)
        return NULL;
    *eq = 0;
    *k = trim(s);
    return trim(eq + 1);
}

static int usage(const char *cmd, const char *flag, const char *v, const char *why)
{
    ctl_err("%s: %s %s: %s (see tenderctl %s --help)", cmd, flag, v, why, cmd);
    return CTL_EXIT_USAGE;
}

/* A date (2027-01-31, the start of that day in UTC) or an RFC 3339 time. */
static int parse_when(tnd_arena *arena, const char *s, tender_common_v1_Timestamp **out)
{
    char buf[64], err[160];
    int64_t sec;
    uint32_t ns;
    if (strlen(s) == 10) {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        s = buf;
    }
    if (ctl_parse_time(s, &sec, &ns, err, sizeof err) != 0)
        return -1;
    if (!(*out = tnd_msg_new_in(&tender_common_v1_Timestamp_desc, arena)))
        return -1;
    (*out)->seconds = sec;
    (*out)->nanos = ns;
    return 0;
}

static int parse_lot(const char *cmd, tnd_arena *arena, const char *v, const char *code, int exp,
                     tender_tenders_v1_Lot *l)
{
    char *id, *seg[SEGS], err[200];
    int n = split(arena, v, &id, seg);
    if (n < 2)
        return usage(cmd, "--lot", v, "expected 'ID: TITLE; VALUE', e.g. 'LOT-1: Asphalt; 600000'");
    if (!tnd_lot_id_valid(id))
        return usage(cmd, "--lot", v, "the lot id is 1 to 64 characters of A-Z a-z 0-9 . _ -");
    tender_tenders_v1_Lot_init(l);
    l->id = id;
    l->title = seg[0];
    if (!(l->value = tnd_msg_new_in(&tender_common_v1_Money_desc, arena)))
        return ctl_oom();
    if (ctl_parse_amount(seg[1], code, exp, &l->value->minor_units, err, sizeof err) != 0)
        return usage(cmd, "--lot", v, err);
    l->value->currency = tnd_arena_strdup(arena, code);
    for (int i = 2; i < n; i++) {
        char *k, *val = keyed(seg[i], &k);
        if (val && strcmp(k, "description") == 0) {
            l->description = val;
        } else if (val && strcmp(k, "criteria") == 0) {
            /* "price:70,quality:30" or "lowest-price": tender_criteria.c reads them */
            const char *crit[20];
            size_t nc = 0;
            bool lowest = strcmp(val, "lowest-price") == 0;
            for (char *p = lowest ? NULL : val, *c; p && nc < 20; p = c ? c + 1 : NULL) {
                if ((c = strchr(p, ',')))
                    *c = 0;
                crit[nc++] = trim(p);
            }
            tender_tenders_v1_TenderFields tmp = {0};
            int rc = ctl_criteria_apply(cmd, arena, lowest ? "lowest-price" : "weighted", crit, nc,
                                        &tmp);
            if (rc)
                return rc;
            l->award_criteria = tmp.award_criteria;
            l->criteria = tmp.criteria;
            l->n_criteria = tmp.n_criteria;
        } else {
            return usage(cmd, "--lot", v,
                         "after the value: criteria=NAME:WEIGHT,... (or lowest-price) and "
                         "description=TEXT");
        }
    }
    return 0;
}

static int parse_item(const char *cmd, tnd_arena *arena, const char *v, tender_tenders_v1_Item *it)
{
    char *id, *seg[SEGS];
    int n = split(arena, v, &id, seg);
    if (n < 1 || !*id || !*seg[0])
        return usage(cmd, "--item", v,
                     "expected 'ID: DESCRIPTION; QUANTITY UNIT', e.g. '1: Asphalt concrete; "
                     "1200 TNE; lot=LOT-1'");
    tender_tenders_v1_Item_init(it);
    it->id = id;
    it->description = seg[0];
    for (int i = 1; i < n; i++) {
        char *k, *val = keyed(seg[i], &k);
        if (!val) { /* QUANTITY UNIT */
            char *sp = strchr(seg[i], ' ');
            if (!sp || it->quantity)
                return usage(cmd, "--item", v,
                             "QUANTITY UNIT: a quantity and a unit code, "
                             "e.g. 12.5 TNE or 40 H87");
            *sp = 0;
            it->quantity = seg[i];
            it->unit = trim(sp + 1);
            for (char *u = it->unit; *u; u++)
                *u = (char)toupper((unsigned char)*u);
            if (!tnd_quantity_valid(it->quantity))
                return usage(cmd, "--item", v,
                             "the quantity is a decimal with at most 6 decimals, e.g. 12.5");
            if (!tnd_unit_name(it->unit))
                return usage(cmd, "--item", v,
                             "unknown unit code; a UN/CEFACT Recommendation 20 code such as H87 "
                             "(piece), C62 (one), KGM, TNE, MTR, MTK, MTQ, LTR, HUR, DAY, MON, "
                             "E48 (service unit) (docs/LOTS.md lists them)");
        } else if (strcmp(k, "lot") == 0) {
            it->lot_id = val;
        } else if (strcmp(k, "cpv") == 0) {
            if (!(it->classification =
                      tnd_msg_new_in(&tender_tenders_v1_Classification_desc, arena)))
                return ctl_oom();
            it->classification->scheme = tnd_arena_strdup(arena, "CPV");
            it->classification->code = val;
        } else if (strcmp(k, "place") == 0) {
            it->delivery_place = val;
        } else if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0) {
            if (parse_when(arena, val,
                           strcmp(k, "from") == 0 ? &it->delivery_start : &it->delivery_end) != 0)
                return usage(cmd, "--item", v,
                             "from= and to= take a date (2027-01-31) or an RFC 3339 time");
        } else {
            return usage(cmd, "--item", v,
                         "after the description: QUANTITY UNIT, lot=, cpv=, place=, from=, to=");
        }
    }
    return 0;
}

/* Append or replace (by id) element e of size sz in the array *arr of *n. */
static int put(tnd_arena *arena, void **arr, size_t *n, size_t sz, const void *e, const char *id,
               const char *(*id_of)(const void *))
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(id_of((char *)*arr + i * sz), id) == 0) {
            memcpy((char *)*arr + i * sz, e, sz);
            return 0;
        }
    void *na = tnd_arena_calloc(arena, *n + 1, sz);
    if (!na)
        return -1;
    if (*n)
        memcpy(na, *arr, *n * sz);
    memcpy((char *)na + *n * sz, e, sz);
    *arr = na;
    (*n)++;
    return 0;
}

/* Remove the element with id; false if there is none. */
static bool drop(void *arr, size_t *n, size_t sz, const char *id,
                 const char *(*id_of)(const void *))
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(id_of((char *)arr + i * sz), id) == 0) {
            memmove((char *)arr + i * sz, (char *)arr + (i + 1) * sz, (*n - i - 1) * sz);
            (*n)--;
            return true;
        }
    return false;
}

static const char *lot_id(const void *p)
{
    const char *s = ((const tender_tenders_v1_Lot *)p)->id;
    return s ? s : "";
}

static const char *item_id(const void *p)
{
    const char *s = ((const tender_tenders_v1_Item *)p)->id;
    return s ? s : "";
}

int ctl_lots_apply(const char *cmd, tnd_arena *arena, const ctl_lots_flags *lf,
                   const char *currency, bool budget_given, tender_tenders_v1_TenderFields *f)
{
    char code[4], err[160];
    int exp = 0, rc;
    if (lf->lots.n) {
        if (!currency) {
            ctl_err("%s: --lot needs --currency (the lots' values are in the tender's currency)",
                    cmd);
            return CTL_EXIT_USAGE;
        }
        if (ctl_currency(currency, code, &exp, err, sizeof err) != 0) {
            ctl_err("%s: --currency %s: %s", cmd, currency, err);
            return CTL_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < lf->drop_lots.n; i++)
        if (!drop(f->lots, &f->n_lots, sizeof *f->lots, lf->drop_lots.v[i], lot_id)) {
            ctl_err("%s: --drop-lot %s: the tender has no such lot", cmd, lf->drop_lots.v[i]);
            return CTL_EXIT_USAGE;
        }
    for (size_t i = 0; i < lf->drop_items.n; i++)
        if (!drop(f->items, &f->n_items, sizeof *f->items, lf->drop_items.v[i], item_id)) {
            ctl_err("%s: --drop-item %s: the tender has no such item", cmd, lf->drop_items.v[i]);
            return CTL_EXIT_USAGE;
        }
    for (size_t i = 0; i < lf->lots.n; i++) {
        tender_tenders_v1_Lot l;
        if ((rc = parse_lot(cmd, arena, lf->lots.v[i], code, exp, &l)) != 0)
            return rc;
        if (put(arena, (void **)&f->lots, &f->n_lots, sizeof l, &l, l.id, lot_id) != 0)
            return ctl_oom();
    }
    for (size_t i = 0; i < lf->items.n; i++) {
        tender_tenders_v1_Item it;
        if ((rc = parse_item(cmd, arena, lf->items.v[i], &it)) != 0)
            return rc;
        if (put(arena, (void **)&f->items, &f->n_items, sizeof it, &it, it.id, item_id) != 0)
            return ctl_oom();
    }
    /* Without --budget, the estimated value follows the lots: their sum. */
    if ((lf->lots.n || lf->drop_lots.n) && !budget_given && f->n_lots) {
        int64_t sum = 0;
        for (size_t i = 0; i < f->n_lots; i++)
            if (f->lots[i].value &&
                __builtin_add_overflow(sum, f->lots[i].value->minor_units, &sum)) {
                ctl_err("%s: the lots' values add up to more than an amount can hold", cmd);
                return CTL_EXIT_USAGE;
            }
        if (!f->estimated_value &&
            !(f->estimated_value = tnd_msg_new_in(&tender_common_v1_Money_desc, arena)))
            return ctl_oom();
        f->estimated_value->minor_units = sum;
        if (f->lots[0].value && f->lots[0].value->currency)
            f->estimated_value->currency = f->lots[0].value->currency;
    }
    return 0;
}

void ctl_lots_print(const tender_tenders_v1_Tender *t)
{
    const tender_tenders_v1_TenderFields *f = t->fields;
    char a[64], b[64];
    if (!f)
        return;
    if (f->n_lots)
        printf("lots:                 %zu\n", f->n_lots);
    for (size_t i = 0; i < f->n_lots; i++) {
        const tender_tenders_v1_Lot *l = &f->lots[i];
        const tender_tenders_v1_LotState *s = NULL;
        for (size_t j = 0; j < t->n_lot_states; j++)
            if (t->lot_states[j].lot_id && l->id && strcmp(t->lot_states[j].lot_id, l->id) == 0)
                s = &t->lot_states[j];
        const char *state =
            s ? ctl_enum_lower(&tender_tenders_v1_LotStatus_desc, s->status, a, sizeof a) : "draft";
        if (strncmp(state, "lot_", 4) == 0)
            state += 4;
        printf("  %s  %s  %s  %s\n", l->id ? l->id : "-", state,
               l->value ? ctl_money_text(l->value->minor_units, l->value->currency, b, sizeof b)
                        : "-",
               l->title ? l->title : "-");
        printf("      award criteria: ");
        if (l->award_criteria != tender_tenders_v1_AwardCriteria_WEIGHTED)
            printf("lowest price");
        else
            for (size_t k = 0; k < l->n_criteria; k++)
                printf("%s%s %u%%",
                       k ? ", " : "weighted: ", l->criteria[k].name ? l->criteria[k].name : "-",
                       l->criteria[k].weight);
        printf("\n");
        if (l->description && *l->description)
            printf("      %s\n", l->description);
        if (s && s->cancel_reason && *s->cancel_reason)
            printf("      cancelled: %s\n", s->cancel_reason);
        if (s && s->status == tender_tenders_v1_LotStatus_LOT_CANCELLED)
            printf("      cancel code: %s (%s)\n", tnd_cancel_code_name(s->cancel_code),
                   tnd_cancel_code_text(s->cancel_code));
    }
    if (f->n_items)
        printf("items:                %zu\n", f->n_items);
    for (size_t i = 0; i < f->n_items; i++) {
        const tender_tenders_v1_Item *it = &f->items[i];
        printf("  %s  %s", it->id ? it->id : "-", it->description ? it->description : "-");
        if (it->quantity && *it->quantity)
            printf("; %s %s", it->quantity, it->unit ? it->unit : "");
        if (it->unit && tnd_unit_name(it->unit))
            printf(" (%s)", tnd_unit_name(it->unit));
        if (it->lot_id && *it->lot_id)
            printf("; lot %s", it->lot_id);
        if (it->classification && it->classification->code)
            printf("; cpv %s", it->classification->code);
        printf("\n");
        if ((it->delivery_place && *it->delivery_place) || it->delivery_start || it->delivery_end)
            printf("      delivery: %s, %s to %s\n",
                   it->delivery_place && *it->delivery_place ? it->delivery_place : "-",
                   it->delivery_start ? ctl_time_text(it->delivery_start->seconds,
                                                      it->delivery_start->nanos, a, sizeof a)
                                      : "-",
                   it->delivery_end ? ctl_time_text(it->delivery_end->seconds,
                                                    it->delivery_end->nanos, b, sizeof b)
                                    : "-");
    }
}
