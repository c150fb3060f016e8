/* The top-level commands of tenderctl, each a table (cli/cmd.h) in its own file of
 * this folder or of a subfolder; main.c lists them in the order of --help. */
#ifndef TND_CTL_COMMANDS_H
#define TND_CTL_COMMANDS_H

#include "cli/ctl.h"

extern const ctl_cmd ctl_cmd_health, ctl_cmd_methods, ctl_cmd_schema, ctl_cmd_pki, ctl_cmd_tender,
    ctl_cmd_question, ctl_cmd_audit, ctl_cmd_keys, ctl_cmd_bid, ctl_cmd_open, ctl_cmd_opening,
    ctl_cmd_export, ctl_cmd_award, ctl_cmd_complaint, ctl_cmd_backup;

#endif
