/* What cmd_complaint.c shares with tender show: the complaints about a
 * tender, fetched and printed as rows. */
#ifndef TND_CTL_COMPLAINT_CMD_H
#define TND_CTL_COMPLAINT_CMD_H

#include <stdbool.h>

#include "cli/ctl.h"
#include "tender_schema.h"

/** Complaints/List of tender into out, decoded in arena. Returns 0 or the
 * status code with st set. */
int ctl_complaints_fetch(tnd_client *c, tnd_arena *arena, const char *tender,
                         tender_complaints_v1_ComplaintList *out, tnd_status_info *st);

/** One line per complaint of l after indent: id, state, subject, what it is
 * about (award, lot or tender), and with filed its filing time. */
void ctl_complaint_rows(const tender_complaints_v1_ComplaintList *l, const char *indent,
                        bool filed);

#endif
