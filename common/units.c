/* Units items are counted in: codes of UN/CEFACT Recommendation 20, "Codes
 * for Units of Measure Used in International Trade" (UNECE, revision 17,
 * Annex I), the list OCDS items use (item.unit.scheme "UNCEFACT"). Only the
 * units public purchases are commonly counted in are kept; a code is added
 * here, with its Recommendation 20 name, when a buyer needs it. */
#include <string.h>

#include "tender/lots.h"

static const struct {
    const char *code, *name;
} units[] = {
    {"ACT", "activity"},
    {"ANN", "year"},
    {"C62", "one"},
    {"CMT", "centimetre"},
    {"DAY", "day"},
    {"DZN", "dozen"},
    {"E48", "service unit"},
    {"E49", "working day"},
    {"GRM", "gram"},
    {"H87", "piece"},
    {"HAR", "hectare"},
    {"HUR", "hour"},
    {"KGM", "kilogram"},
    {"KMT", "kilometre"},
    {"KWH", "kilowatt hour"},
    {"KWT", "kilowatt"},
    {"LM", "linear metre"},
    {"LS", "lump sum"},
    {"LTR", "litre"},
    {"MIN", "minute"},
    {"MLT", "millilitre"},
    {"MMT", "millimetre"},
    {"MON", "month"},
    {"MTK", "square metre"},
    {"MTQ", "cubic metre"},
    {"MTR", "metre"},
    {"MWH", "megawatt hour (1000 kW.h)"},
    {"NAR", "number of articles"},
    {"PR", "pair"},
    {"QAN", "quarter (of a year)"},
    {"SET", "set"},
    {"TNE", "tonne (metric ton)"},
    {"WEE", "week"},
};

const char *tnd_unit_name(const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(units[i].code, code) == 0)
            return units[i].name;
    return NULL;
}

const char *tnd_unit_code(size_t i)
{
    return i < sizeof units / sizeof *units ? units[i].code : NULL;
}
