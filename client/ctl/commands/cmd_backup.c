/* tenderctl backup: tender.admin.v1.Admin/Backup, a verified backup written
 * on the server into its --backup-dir (docs/OPERATIONS.md). */
#include <string.h>

#include "b64.h"
#include "ctl.h"
#include "tender_schema.h"

static const char backup_usage[] =
    "usage: tenderctl backup\n"
    "\n"
    "Ask the server for a backup of its database (admin role; the server must run with\n"
    "--backup-dir). The server copies the database while it keeps serving, verifies the\n"
    "copy's transparency log against its last signed checkpoint, and keeps the file in\n"
    "its --backup-dir. Prints the file's path on the server, its size and the verified\n"
    "tree size and root (the BackupResult as JSON with --json). Exit status 0, or 10 + N\n"
    "when the call fails with gRPC status N (e.g. 25: DATA_LOSS, the copy did not verify).\n";

int cmd_backup(ctl_global *g, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(backup_usage, stdout);
            return CTL_EXIT_OK;
        }
        int r = ctl_global_option(g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r == 0) {
            ctl_err("backup: unexpected argument \"%s\" (see tenderctl backup --help)", argv[i]);
            return CTL_EXIT_USAGE;
        }
    }
    tnd_client *c;
    int rc = ctl_connect(g, &c);
    if (rc != 0)
        return rc;
    tender_common_v1_Empty req;
    tender_common_v1_Empty_init(&req);
    tender_admin_v1_BackupResult resp;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_admin_v1_Admin_Backup_method, &req, &resp, NULL, &st) != 0) {
        tnd_client_free(c);
        return ctl_status_fail(&st);
    }
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_admin_v1_BackupResult_desc, &resp));
    } else {
        char root[TND_B64_LEN(32) + 1] = "";
        if (resp.root.len == 32)
            tnd__b64_encode(resp.root.data, 32, root);
        printf("backup on the server: %s (%llu bytes)\nlog verified: tree size %llu, root %s\n",
               resp.file ? resp.file : "", (unsigned long long)resp.bytes,
               (unsigned long long)resp.tree_size, root);
    }
    tender_admin_v1_BackupResult_free(&resp);
    tnd_client_free(c);
    return CTL_EXIT_OK;
}
