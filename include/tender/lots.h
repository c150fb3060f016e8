/* Lots and items of a tender (docs/LOTS.md): the rules their fields follow,
 * in one place for tenderd (create, edit, amend, publish), tenderctl and
 * the auditors, and the units items are counted in.
 *
 * A tender whose fields have no lots is one implicit lot: none of these
 * rules asks anything of it beyond its items (if it lists any).
 */
#ifndef TENDER_LOTS_H
#define TENDER_LOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "tender/error.h"
#include "tender_schema.h"

#define TND_LOTS_MAX 100   /* TenderFields.lots */
#define TND_ITEMS_MAX 1000 /* TenderFields.items */

/** Check the lots and items of f:
 *  - lots: at most TND_LOTS_MAX; each id 1..64 characters of
 *    [A-Za-z0-9._-] and unique; a title; a value above zero in the currency
 *    of f->estimated_value; its own award criteria (tnd_award_criteria_check
 *    on the lot); the values add up exactly to f->estimated_value (the
 *    message gives the sum); the tender-level award_criteria and criteria
 *    left unset.
 *  - items: at most TND_ITEMS_MAX; each id unique and printable; a
 *    description; a quantity, when given, a decimal (tnd_quantity_valid)
 *    with a unit; a unit, when given, one of tnd_unit_name's codes; a
 *    classification code with its scheme; delivery_end not before
 *    delivery_start; lot_id naming a lot of f when f has lots, empty when
 *    it has none.
 * @return 0; TND_EINVAL with a message naming the field in msg (may be NULL
 *         when len is 0), e.g. "fields.lots[1].value: ...". */
TND_MUST_CHECK int tnd_lots_check(const tender_tenders_v1_TenderFields *f, char *msg, size_t len);

/** Check an amendment's lots against the version before (both already
 * passed tnd_lots_check): every lot of prev is still there (a lot is not
 * removed: it is cancelled, Tenders/CancelLot), so a lot id never comes to
 * name another lot; a tender published without lots gets none (its bids
 * answer the tender as a whole), and one with lots keeps some.
 * @return 0; TND_EINVAL with msg. */
TND_MUST_CHECK int tnd_lots_amend_check(const tender_tenders_v1_TenderFields *prev,
                                        const tender_tenders_v1_TenderFields *next, char *msg,
                                        size_t len);

/** The index of lot id in f->lots, or -1. */
int tnd_lot_find(const tender_tenders_v1_TenderFields *f, const char *id);

/** A lot seen as a tender of its own, for the rules written for a whole
 * tender (the award criteria, a bid's price against the value): *out is f
 * with the lot's value as estimated_value, the lot's award_criteria and
 * criteria, and no lots or items. Shallow: *out points into f and the lot,
 * and must not be freed. i must be below f->n_lots. */
void tnd_lot_view(const tender_tenders_v1_TenderFields *f, size_t i,
                  tender_tenders_v1_TenderFields *out);

/** Is id a well-formed lot id (1..64 characters of [A-Za-z0-9._-])? */
bool tnd_lot_id_valid(const char *id);

/** Is q a quantity: a non-negative decimal of digits with at most one
 * point and at most 6 decimals, digits on both sides of the point ("12",
 * "0.5", "1500.125"), at most 32 characters? */
bool tnd_quantity_valid(const char *q);

/** The English name of a unit code of UN/CEFACT Recommendation 20 ("KGM":
 * "kilogram"), or NULL for a code not in the project's list (the common
 * codes of public procurement; common/units.c names its source). Codes are
 * upper case, as published. */
const char *tnd_unit_name(const char *code);

/** The project's unit codes in order, for help texts: the i-th code, or
 * NULL past the end. */
const char *tnd_unit_code(size_t i);

#endif
