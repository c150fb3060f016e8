/* tenderctl backup: tender.admin.v1.Admin/Backup, a verified backup written
 * on the server into its --backup-dir (docs/OPERATIONS.md). */
#include "tender/encoding.h"
#include "cli/ctl.h"
#include "commands.h"
#include "tender_schema.h"

static int backup(ctl_global *g, const ctl_call *call)
{
    tnd_client *c;
    int rc = ctl_connect(g, &c);
    if (rc != 0)
        return rc;
    tender_common_v1_Empty req;
    tender_common_v1_Empty_init(&req);
    tender_admin_v1_BackupResult resp;
    tnd_status_info st;
    if (tender_admin_v1_Admin_Backup_in(c, call->arena, &req, &resp, NULL, &st) != 0) {
        tnd_client_free(c);
        return ctl_reply_fail(call->arena, &st);
    }
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_admin_v1_BackupResult_desc, &resp));
    } else {
        char root[TND_BASE64_LEN(32) + 1] = "";
        if (resp.root.len == 32)
            tnd_base64_encode(resp.root.data, 32, root);
        printf("backup on the server: %s (%llu bytes)\nlog verified: tree size %llu, root %s\n",
               resp.file ? resp.file : "", (unsigned long long)resp.bytes,
               (unsigned long long)resp.tree_size, root);
    }
    tnd_client_free(c);
    return CTL_EXIT_OK;
}

const ctl_cmd ctl_cmd_backup = {
    .name = "backup",
    .summary = "admin: a verified backup, kept on the server",
    .about = "Admin role: ask the server for a backup of its database\n"
             "(*tender.admin.v1.Admin/Backup*; the server must run with *--backup-dir*). The\n"
             "server copies the database while it keeps serving, verifies the copy's\n"
             "transparency log against its last signed checkpoint and keeps the file in its\n"
             "backup folder. Prints the file's path on the server, its size and the verified\n"
             "tree size and root (the BackupResult as JSON with *--json*). A copy that does not\n"
             "verify fails with DATA_LOSS (exit status 25). See *tenderd*(8), BACKUP AND\n"
             "RESTORE.",
    .run = backup,
};
