/* ISO 4217 currencies (include/tender/currency.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tender/currency.h"

/* ISO 4217 codes in current use (OCDS currency codelist 1.1.5, without the
 * units that have no minor unit: precious metals, bond units, XDR, XTS, XXX). */
static const char iso4217[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN "
    "BWP "
    "BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN "
    "ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD "
    "JOD "
    "JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP "
    "MRU "
    "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON "
    "RSD "
    "RUB RWF SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY "
    "TTD "
    "TWD TZS UAH UGX USD USN UYI UYU UYW UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL ";

/* Minor-unit exponents other than 2 (ISO 4217 table A.1). */
static const char exp0[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF ";
static const char exp3[] = "BHD IQD JOD KWD LYD OMR TND ";
static const char exp4[] = "CLF UYW ";

static bool in_list(const char *list, const char *code)
{
    for (const char *p = list; *p; p += 4)
        if (memcmp(p, code, 3) == 0)
            return true;
    return false;
}

int tnd_currency_exp(const char *code)
{
    if (!code || strlen(code) != 3)
        return 2;
    if (in_list(exp0, code))
        return 0;
    if (in_list(exp3, code))
        return 3;
    if (in_list(exp4, code))
        return 4;
    return 2;
}

bool tnd_currency_known(const char *code)
{
    return code && strlen(code) == 3 && in_list(iso4217, code);
}

int tnd_currency_parse(const char *in, char code[4], int *exp, char *err, size_t len)
{
    size_t n = strlen(in);
    bool alpha = n == 3;
    for (size_t i = 0; alpha && i < 3; i++)
        alpha = isalpha((unsigned char)in[i]) != 0;
    if (!alpha) {
        snprintf(err, len,
                 "\"%s\" is not a currency code: expected three letters of ISO 4217 "
                 "such as EUR, USD or KRW",
                 in);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        code[i] = (char)toupper((unsigned char)in[i]);
    code[3] = '\0';
    if (!tnd_currency_known(code)) {
        snprintf(err, len, "%s is not an ISO 4217 currency in use (e.g. EUR, USD, KRW)", code);
        return -1;
    }
    *exp = tnd_currency_exp(code);
    return 0;
}

int tnd_amount_parse(const char *s, const char *code, int exp, int64_t *minor, char *err,
                     size_t len)
{
    const char *p = s;
    int64_t v = 0;
    int ndec = 0;
    if (!isdigit((unsigned char)*p))
        goto bad;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (INT64_MAX - 9) / 10)
            goto big;
        v = v * 10 + (*p - '0');
    }
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        for (; isdigit((unsigned char)*p); p++, ndec++)
            if (ndec < 18)
                frac = frac * 10 + (*p - '0');
    }
    if (*p != '\0')
        goto bad;
    if (ndec > exp) {
        snprintf(err, len, "%s %s has more decimals than %s allows (%d)", s, code, code, exp);
        return -1;
    }
    for (int i = 0; i < exp; i++) {
        if (v > INT64_MAX / 10)
            goto big;
        v *= 10;
    }
    for (int i = ndec; i < exp; i++)
        frac *= 10;
    if (v > INT64_MAX - frac)
        goto big;
    *minor = v + frac;
    return 0;
bad:
    snprintf(err, len,
             "\"%s\": expected a decimal amount such as 1500000 or 1234.56 (digits, "
             "one point, no sign, no separators)",
             s);
    return -1;
big:
    snprintf(err, len, "%s %s is too large", s, code);
    return -1;
}
