/* The codelist of cancellation reasons (docs/PROTOCOL.md, "Cancellation
 * reasons"), in one place for tenderd, tenderctl and the OCDS export: each
 * code's name, as tenderctl takes it, and its short text.
 *
 * A cancellation of a tender, a lot or an award names a code besides its
 * free-text reason. Requests without one (0) or with a number not in the list
 * are refused; a cancellation stored before the codelist has 0 and is shown
 * as "unspecified".
 */
#ifndef TENDER_CANCEL_H
#define TENDER_CANCEL_H

#include <stdbool.h>

#include "tender_schema.h"

/* The codes as tenderctl takes them (--reason-code), for completion and errors. */
#define TND_CANCEL_CODES                                                                           \
    "no-longer-needed cannot-be-fixed force-majeure budget-cut no-valid-offer complaint-upheld "   \
    "other"

/* What a request without a valid code is told (INVALID_ARGUMENT). */
#define TND_CANCEL_CODE_REQUIRED                                                                   \
    "reason_code: required, one of NO_LONGER_NEEDED, CANNOT_BE_FIXED, FORCE_MAJEURE, BUDGET_CUT, " \
    "NO_VALID_OFFER, COMPLAINT_UPHELD, OTHER (docs/PROTOCOL.md, \"Cancellation reasons\")"

/** True when code is one of the codelist (not 0, not unknown). */
bool tnd_cancel_code_valid(int code);

/** The code's name as tenderctl takes it ("budget-cut"); "unspecified" for 0
 * and unknown numbers. */
const char *tnd_cancel_code_name(int code);

/** The code's short text ("The budget was cut"); "Unspecified" for 0 and
 * unknown numbers. */
const char *tnd_cancel_code_text(int code);

/** The code named s: "budget-cut", "BUDGET_CUT" (case and '-' or '_' alike);
 * 0 when s names none. */
int tnd_cancel_code_parse(const char *s);

#endif
