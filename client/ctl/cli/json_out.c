/* tenderctl --json: every JSON document is built with jansson and printed
 * compact, one per line. Generated messages become objects through the
 * converter tenderd's HTTP API uses too (common/json/msg_json.h). */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json/msg_json.h"
#include "tender_schema.h"

json_t *ctl_json_str(const char *s)
{
    return tnd_json_str(s);
}

json_t *ctl_json_msg(const tnd_msg_desc *d, const void *msg)
{
    return tnd_json_msg(d, msg);
}

int ctl_json_print(json_t *v)
{
    int rc = v && json_dumpf(v, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17)) == 0 &&
                     fputc('\n', stdout) != EOF
                 ? 0
                 : -1;
    json_decref(v);
    fflush(stdout);
    if (rc)
        ctl_err("writing JSON to stdout failed");
    return rc;
}
