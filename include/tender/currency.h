/* ISO 4217 currencies: the one table of codes in use and their minor-unit
 * exponents, for everything that turns minor units into amounts
 * (tenderctl's parsing and display, the OCDS release builder). */
#ifndef TND_CURRENCY_H
#define TND_CURRENCY_H

#include <stdbool.h>

/** Is code (three upper-case letters) an ISO 4217 currency in current use
 * (OCDS currency codelist 1.1.5, without the units that have no minor
 * unit: precious metals, bond units, XDR, XTS, XXX)? */
bool tnd_currency_known(const char *code);

/** Minor-unit exponent of a currency (ISO 4217 table A.1): 0 for JPY or
 * KRW, 3 for KWD, 4 for CLF, 2 for the others and for an unknown code. */
int tnd_currency_exp(const char *code);

#endif
