/* The retry policy of libtender: which failed attempts are tried again and
 * after how long (exponential backoff with full jitter), and parsing the
 * server address. Pure functions, tested in tests/test_client.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

uint64_t tnd__backoff_cap(uint32_t base_ms, uint32_t max_ms, int attempt)
{
    uint64_t cap = base_ms;
    for (int i = 2; i < attempt && cap < max_ms; i++)
        cap *= 2;
    return cap < max_ms ? cap : max_ms;
}

uint64_t tnd__backoff_delay(uint32_t base_ms, uint32_t max_ms, int attempt, uint64_t random)
{
    uint64_t cap = tnd__backoff_cap(base_ms, max_ms, attempt);
    return random % (cap + 1);
}

/* With one server, only what the schema calls idempotent: as before there
 * were several. With several, a call moves to another server when it is
 * safe there too: nobody saw it, or its idempotency-key makes the server
 * that already stored it answer with the stored reply (the keys are
 * replicated with the writes, docs/SCALING.md). */
bool tnd__call_repeatable(const tnd_method_desc *m, bool keyed, bool unsent, size_t n_servers)
{
    return m->idempotent || (n_servers > 1 && (keyed || unsent));
}

/* Only repeatable calls, only UNAVAILABLE, only while the caller has seen
 * no response (a replay would repeat them), only when every request is still
 * at hand, within the attempt budget and never past the deadline. A failure
 * that waiting cannot fix (a rejected certificate) is not retried. */
bool tnd__should_retry(bool repeatable, int code, bool permanent, size_t delivered,
                       bool retained, int attempt, int max_attempts, uint64_t now_ms,
                       uint64_t delay_ms, uint64_t deadline_ms)
{
    if (!repeatable || code != TND_STATUS_UNAVAILABLE || permanent)
        return false;
    if (delivered > 0 || !retained || attempt >= max_attempts)
        return false;
    return deadline_ms == 0 || now_ms + delay_ms < deadline_ms;
}

int tnd__split_hostport(const char *s, char *host, size_t host_len, char *port, size_t port_len)
{
    const char *colon, *h = s;
    size_t hl;
    if (!s || !*s)
        return TND_EINVAL;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return TND_EINVAL;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon) /* bare IPv6 needs brackets */
            return TND_EINVAL;
        hl = (size_t)(colon - s);
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (hl == 0 || hl >= host_len || pl == 0 || pl >= port_len || pl > 5)
        return TND_EINVAL;
    long v = 0;
    for (size_t i = 0; i < pl; i++) {
        if (p[i] < '0' || p[i] > '9')
            return TND_EINVAL;
        v = v * 10 + (p[i] - '0');
    }
    if (v < 1 || v > 65535)
        return TND_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    memcpy(port, p, pl + 1);
    return 0;
}
