/* The opening committee of a new tender, made by the officer's tenderctl
 * (docs/SEALED.md): read the members' X25519 public keys from the committee
 * file and the threshold; libtender's tnd_committee_make then makes the
 * tender's opening and documents keys, splits and seals them to the members
 * (tender/committee_make.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tender/committee.h"
#include "tender/committee_make.h"
#include "tender_cmd.h"

#define MAX_MEMBERS TND_COMMITTEE_MAX

static int oom(void)
{
    ctl_err("out of memory");
    return CTL_EXIT_FAIL;
}

static void committee_free(tender_tenders_v1_Committee *cm)
{
    if (cm) {
        tender_tenders_v1_Committee_free(cm);
        free(cm);
    }
}

/* Split a committee line into NAME (everything before the last blank) and the key. */
static int committee_line(char *line, char **name, char **key)
{
    char *end = line + strlen(line);
    while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    char *sp = end;
    while (sp > line && sp[-1] != ' ' && sp[-1] != '\t')
        sp--;
    *key = sp;
    if (sp == line)
        return -1;
    while (sp > line && (sp[-1] == ' ' || sp[-1] == '\t'))
        *--sp = '\0';
    *name = line;
    return 0;
}

/* Add one member (name, 32-byte key) to cm; the committee's rules are
 * checked once it is whole (tnd_committee_check). */
static int add_member(const char *cmd, const char *path, tender_tenders_v1_Committee *cm,
                      const char *name, const uint8_t pk[32])
{
    if (cm->n_members == MAX_MEMBERS) {
        ctl_err("%s: %s: more than %d committee members", cmd, path, MAX_MEMBERS);
        return CTL_EXIT_USAGE;
    }
    tender_tenders_v1_CommitteeMember *m = &cm->members[cm->n_members];
    m->name = strdup(name);
    m->public_key.data = malloc(32);
    if (m->name || m->public_key.data)
        cm->n_members++; /* owned by cm from here, freed with it */
    if (!m->name || !m->public_key.data)
        return oom();
    memcpy(m->public_key.data, pk, 32);
    m->public_key.len = 32;
    return 0;
}

/* Read a committee file: "NAME BASE64KEY" a line, blank lines and # comments skipped. */
static int read_members(const char *cmd, const char *path, tender_tenders_v1_Committee *cm)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        ctl_err("%s: --committee %s: %s", cmd, path, strerror(errno));
        return CTL_EXIT_FAIL;
    }
    char line[1024];
    int rc = 0, ln = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        char *nl = strchr(line, '\n'), *name, *key, *hash = strchr(line, '#');
        if (!nl && !feof(f)) {
            ctl_err("%s: %s:%d: line too long", cmd, path, ln);
            rc = CTL_EXIT_USAGE;
            break;
        }
        if (nl)
            *nl = '\0';
        if (hash)
            *hash = '\0';
        if (strspn(line, " \t\r") == strlen(line))
            continue;
        uint8_t pk[33];
        if (committee_line(line, &name, &key) != 0 || strlen(name) > 128) {
            ctl_err("%s: %s:%d: expected \"NAME BASE64KEY\" (a name of at most 128 bytes)", cmd,
                    path, ln);
            rc = CTL_EXIT_USAGE;
        } else if (ctl_base64_decode(key, pk, sizeof pk) != 32) {
            ctl_err("%s: %s:%d: the key of %s is not 32 bytes of base64 (an X25519 public key, "
                    "as `tenderctl keys gen` prints it)",
                    cmd, path, ln, name);
            rc = CTL_EXIT_USAGE;
        } else {
            rc = add_member(cmd, path, cm, name, pk);
        }
    }
    if (!rc && ferror(f)) {
        ctl_err("%s: --committee %s: %s", cmd, path, strerror(errno));
        rc = CTL_EXIT_FAIL;
    }
    fclose(f);
    if (!rc && cm->n_members == 0) {
        ctl_err("%s: --committee %s lists no members", cmd, path);
        rc = CTL_EXIT_USAGE;
    }
    return rc;
}

/* The opening and documents keys of cm, split, sealed and committed to
 * (tnd_committee_make). */
static int make_opening_key(const char *cmd, tender_tenders_v1_Committee *cm)
{
    char why[400];
    int rc = tnd_committee_make(cm, true, why, sizeof why);
    if (rc == TND_ENOMEM)
        return oom();
    if (rc != 0)
        ctl_err("%s: %s", cmd, why);
    return rc == 0 ? 0 : rc == TND_EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
}

/* Made with malloc, as tnd_committee_make works, then copied into the
 * run's arena with the rest of the request. */
int ctl_committee_make(const char *cmd, tnd_arena *arena, const char *path, const char *threshold,
                       tender_tenders_v1_Committee **out)
{
    tender_tenders_v1_Committee *cm = calloc(1, sizeof *cm);
    if (cm)
        cm->members = calloc(MAX_MEMBERS, sizeof *cm->members);
    if (!cm || !cm->members) {
        committee_free(cm);
        return oom();
    }
    int rc = read_members(cmd, path, cm);
    size_t n = cm->n_members;
    cm->threshold = (uint32_t)(n / 2 + 1);
    if (!rc && threshold) {
        char *end;
        errno = 0;
        unsigned long k = strtoul(threshold, &end, 10);
        if (errno || end == threshold || *end || threshold[0] == '-' || k < 1 || k > n) {
            ctl_err("%s: --threshold %s: expected a whole number K with 1 <= K <= %zu (the "
                    "committee's members)",
                    cmd, threshold, n);
            rc = CTL_EXIT_USAGE;
        }
        cm->threshold = (uint32_t)k;
    }
    char why[400];
    if (!rc && tnd_committee_check(cm, false, why, sizeof why) != 0) {
        ctl_err("%s: --committee %s: %s", cmd, path, why);
        rc = CTL_EXIT_USAGE;
    }
    if (!rc)
        rc = make_opening_key(cmd, cm);
    tender_tenders_v1_Committee *copy = NULL;
    if (!rc && (!(copy = tnd_msg_new_in(&tender_tenders_v1_Committee_desc, arena)) ||
                tnd_msg_copy_in(&tender_tenders_v1_Committee_desc, arena, cm, copy) != 0))
        rc = oom();
    committee_free(cm);
    if (rc)
        return rc;
    *out = copy;
    return 0;
}
