/* Generated messages as JSON (jansson), driven by their descriptors: the one
 * converter behind `tenderctl --json` and tenderd's HTTP API, so both spell
 * every field the same way.
 *
 * - field names as keys; optional fields only when set;
 * - enums by name (a number newer than this build stays a number);
 * - bytes in base64, except fields named sha256, in lowercase hex;
 * - tender.common.v1.Timestamp as RFC 3339 UTC text ("2026-11-27T05:38:28.638Z");
 * - uint64 above INT64_MAX as the nearest double (never seen in practice);
 * - text that is not UTF-8 gets each bad byte replaced by '?'.
 *
 * Not part of libtender: it is linked into tenderd and tenderctl. */
#ifndef TND_COMMON_MSG_JSON_H
#define TND_COMMON_MSG_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/codec.h"

/** The message at msg (of descriptor d) as a new JSON object; json_null()
 * for NULL. Never returns NULL. */
json_t *tnd_json_msg(const tnd_msg_desc *d, const void *msg);

/** A string value (NULL as ""); bytes that are not UTF-8 become '?'. */
json_t *tnd_json_str(const char *s);

/** RFC 3339 UTC text of a time: seconds, then a fraction only when nanos is
 * not 0 (3, 6 or 9 digits), then "Z". Returns buf. */
const char *tnd_json_time_text(int64_t seconds, uint32_t nanos, char *buf, size_t len);

#endif
