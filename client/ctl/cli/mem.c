/* The memory of one command run: its arena (ctl_call.arena, made and freed by
 * ctl_dispatch), so a request is built from the command line without casting
 * argv into a message and a reply is never freed field by field. */
#include "ctl.h"

char *ctl_str(const ctl_call *c, const char *s)
{
    return tnd_arena_strdup(c->arena, s);
}
