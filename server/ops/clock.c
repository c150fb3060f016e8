/* The server's wall clock (clock.h). */
#include "clock.h"

#include <time.h>

int64_t tnd_clock_ms(const tnd_clock *c)
{
    if (c)
        return c->ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tnd_clock_set(tnd_clock *c, int64_t ms)
{
    c->ms = ms ? ms : tnd_clock_ms(NULL);
}

void tnd_clock_advance(tnd_clock *c, int64_t ms)
{
    c->ms += ms;
}
