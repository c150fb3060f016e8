/* The codelist of cancellation reasons (tender/cancel.h). */
#include <ctype.h>
#include <stddef.h>

#include "tender/cancel.h"

#define CR(x) tender_common_v1_CancelReason_##x

static const struct {
    int code;
    const char *name, *text;
} codes[] = {
    {CR(NO_LONGER_NEEDED), "no-longer-needed", "The purchase is no longer needed"},
    {CR(CANNOT_BE_FIXED), "cannot-be-fixed",
     "The conditions have an error that cannot be corrected"},
    {CR(FORCE_MAJEURE), "force-majeure", "Force majeure"},
    {CR(BUDGET_CUT), "budget-cut", "The budget was cut"},
    {CR(NO_VALID_OFFER), "no-valid-offer", "No valid offer was received"},
    {CR(COMPLAINT_UPHELD), "complaint-upheld", "A complaint was upheld"},
    {CR(OTHER), "other", "Other reason (see the reason given)"},
};
#define N_CODES (sizeof codes / sizeof codes[0])

bool tnd_cancel_code_valid(int code)
{
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i].code == code)
            return true;
    return false;
}

const char *tnd_cancel_code_name(int code)
{
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i].code == code)
            return codes[i].name;
    return "unspecified";
}

const char *tnd_cancel_code_text(int code)
{
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i].code == code)
            return codes[i].text;
    return "Unspecified";
}

int tnd_cancel_code_parse(const char *s)
{
    for (size_t i = 0; s && i < N_CODES; i++) {
        const char *a = s, *b = codes[i].name;
        for (; *a && *b; a++, b++) {
            char c = *a == '_' ? '-' : (char)tolower((unsigned char)*a);
            if (c != *b)
                break;
        }
        if (!*a && !*b)
            return codes[i].code;
    }
    return 0;
}
