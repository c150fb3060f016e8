/* Internals shared by the `tenderctl tender` command files: cmd_tender.c
 * (dispatch and changes), cmd_tender_show.c (show, list, documents) and
 * cmd_tender_docs.c (upload and download). */
#ifndef TND_CTL_TENDER_CMD_H
#define TND_CTL_TENDER_CMD_H

#include "cli/ctl.h"
#include "commands/commands.h"
#include "tender_schema.h"

/** Get a tender (version 0: the latest) into t, decoded in arena (the run's:
 * never freed field by field). Returns 0 or an exit code (message printed). */
int ctl_tender_get(tnd_client *c, tnd_arena *arena, const char *id, uint32_t version,
                   tender_tenders_v1_Tender *t);

/** Upload one file to a draft with AddDocument, in chunks of 1 MiB. out is
 * initialised here and filled on 0, in arena. Returns 0 or an exit code. */
int ctl_doc_upload(tnd_client *c, tnd_arena *arena, ctl_idem *k, const char *tender_id,
                   const char *path, tender_tenders_v1_Document *out);

/** Check before any call that a --doc file is a readable regular file. */
int ctl_doc_check(const char *cmd, const char *path);

/** Read a committee file ("NAME PUBKEY" lines) into a new committee in arena
 * with threshold K (the text of --threshold, or NULL for a majority), make the
 * tender's opening key, seal a Shamir share of it to each member and store
 * the shares' hashes; the private key and the shares are wiped
 * (committee.c). Returns 0 or an exit code (message printed). */
int ctl_committee_make(const char *cmd, tnd_arena *arena, const char *path, const char *threshold,
                       tender_tenders_v1_Committee **out);

/** Apply --award-criteria METHOD (lowest-price, weighted or NULL) and the
 * n --criterion NAME:WEIGHT values to f (tender_criteria.c): the criteria
 * given replace f's; lowest-price clears them. Returns 0 or an exit code
 * (message printed). */
int ctl_criteria_apply(const char *cmd, tnd_arena *arena, const char *method,
                       const char *const *crit, size_t n, tender_tenders_v1_TenderFields *f);

/** Print the "award criteria:" line of tender show. */
void ctl_criteria_print(const tender_tenders_v1_TenderFields *f);

/** The lot and item flags of create, edit and amend (tender_lots.c). */
typedef struct ctl_lots_flags {
    ctl_list lots, items, drop_lots, drop_items;
} ctl_lots_flags;

/** Apply the --drop-lot, --drop-item, --lot and --item flags to f, in that
 * order: a --lot or --item naming an id f has replaces it, a new id is added
 * at the end. Lot values are read in currency (the --currency given or the
 * tender's; NULL: none known). When lots were given or dropped and no
 * --budget (budget_given false), the estimated value becomes the lots' sum.
 * Everything new is arena's. Returns 0 or an exit code (message printed). */
int ctl_lots_apply(const char *cmd, tnd_arena *arena, const ctl_lots_flags *lf,
                   const char *currency, bool budget_given, tender_tenders_v1_TenderFields *f);

/** Print the lots (with their state) and the items of tender show. */
void ctl_lots_print(const tender_tenders_v1_Tender *t);

/** Print a tender as readable text. */
void ctl_tender_print(const tender_tenders_v1_Tender *t);

/* The subcommands of tender in cmd_tender_show.c and cmd_tender_docs.c. */
extern const ctl_cmd ctl_tender_show_cmd, ctl_tender_list_cmd, ctl_tender_documents_cmd,
    ctl_tender_download_cmd;

#endif
