/* The Open Contracting Data Standard 1.1.5 release package of tenders (with
 * the bids and enquiries extensions, and the lots and location extensions
 * for tenders with lots or items: ocds_lots.c): the one builder behind `tenderctl
 * export ocds` and tenderd's /api/v1/tenders/ID/ocds and /api/v1/ocds.
 *
 * It takes a plain in-memory description of a tender's public record (its
 * published versions, answered questions, log events, opening record and
 * award decisions); tenderctl fills it from public RPC answers, tenderd
 * from its store with an anonymous reader's visibility. What each release
 * holds is documented in tenderctl's `export ocds --help` and
 * docs/OPERATIONS.md.
 *
 * Not part of libtender (it needs jansson): linked into tenderd and
 * tenderctl. */
#ifndef TND_COMMON_OCDS_H
#define TND_COMMON_OCDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tender_schema.h"

/* The default ocid prefix and publisher name. */
#define TND_OCDS_PREFIX "ocds-tndrd"
#define TND_OCDS_PUBLISHER "tenderd"

/* Everything public about one tender. Filled by the caller; freed with
 * tnd_ocds_tender_free. */
typedef struct tnd_ocds_tender {
    const char *id;
    char ocid[200];
    tender_tenders_v1_Tender *versions; /* [0] is version 1, n_versions = the latest */
    size_t n_versions;
    tender_tenders_v1_ListQuestionsResponse questions; /* as an anonymous reader sees them */
    tender_events_v1_Event *events; /* the events worth a release, in log order */
    size_t n_events;
    tender_bids_v1_OpeningRecord opening; /* only when the log has BIDS_OPENED */
    bool opened;                          /* the log has BIDS_OPENED, at opened_seq */
    bool have_opening;
    uint64_t opened_seq;
    tender_awards_v1_Award *awards; /* every decision the events name, as it stands now */
    size_t n_awards;
} tnd_ocds_tender;

/** Is a tender of this status exported (every status but draft)? */
bool tnd_ocds_public(tender_tenders_v1_TenderStatus s);

/** Set td->ocid to PREFIX-ID. */
void tnd_ocds_set_ocid(tnd_ocds_tender *td, const char *prefix, const char *id);

/** Take event ev (of leaf seq, any tender) into td when it is one of
 * td's events worth a release: returns 1 (ev now belongs to td), 0 (not
 * taken: the caller frees it) or -1 (out of memory; not taken). */
int tnd_ocds_take_event(tnd_ocds_tender *td, tender_events_v1_Event *ev);

/** Read one award decision by id into out (initialised by the callee);
 * 0 or the caller's own error code, which is returned as is. */
typedef int (*tnd_ocds_award_get)(void *ctx, const char *award_id, tender_awards_v1_Award *out);

/** Fill td->awards, once td->events is complete: every decision an event
 * names (AWARD_RECORDED, TENDER_UNSUCCESSFUL), read with get, in the
 * order the log first names them. Returns 0, -1 (out of memory) or get's
 * error. */
int tnd_ocds_fill_awards(tnd_ocds_tender *td, tnd_ocds_award_get get, void *ctx);

void tnd_ocds_tender_free(tnd_ocds_tender *td);

/** Append td's releases at or after since (NULL: all) to releases.
 * Returns 0 or -1 (out of memory). */
int tnd_ocds_releases(const tnd_ocds_tender *td, const tender_common_v1_Timestamp *since,
                      json_t *releases);

/** The release package {uri, version, publishedDate, publisher,
 * extensions, releases} with published (seconds since the epoch) as
 * publishedDate; releases gets a new reference. NULL when out of memory. */
json_t *tnd_ocds_package(json_t *releases, const char *uri, const char *publisher,
                         int64_t published);

/** The flags the package is written with (two-space indent, keys in
 * order), so every writer gives the same bytes. */
#define TND_OCDS_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

#endif
