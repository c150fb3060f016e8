/* ISO 4217 currencies: the one table of codes in use and their minor-unit
 * exponents, for everything that turns minor units into amounts
 * (tenderctl's parsing and display, the OCDS release builder, the HTTP API's
 * value filter): amounts are read here, exactly, in one way. */
#ifndef TND_CURRENCY_H
#define TND_CURRENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Is code (three upper-case letters) an ISO 4217 currency in current use
 * (OCDS currency codelist 1.1.5, without the units that have no minor
 * unit: precious metals, bond units, XDR, XTS, XXX)? */
bool tnd_currency_known(const char *code);

/** Minor-unit exponent of a currency (ISO 4217 table A.1): 0 for JPY or
 * KRW, 3 for KWD, 4 for CLF, 2 for the others and for an unknown code. */
int tnd_currency_exp(const char *code);

/** Read a currency code as typed ("eur" or "EUR") into code (upper case) and its
 * exponent. Returns 0, or -1 with a message in err (not three letters, or not a
 * currency in use). */
int tnd_currency_parse(const char *in, char code[4], int *exp, char *err, size_t len);

/** Read a decimal amount ("1500000", "1234.56") exactly into minor units of a
 * currency with exponent exp (never through floating point): digits, at most one
 * point, no sign, no separators, at most exp decimals. Returns 0, or -1 with a
 * message in err naming the amount and what is expected. */
int tnd_amount_parse(const char *s, const char *code, int exp, int64_t *minor, char *err,
                     size_t len);

#endif
