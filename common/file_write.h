/* Writing a whole file so that a crash never leaves half of it: the one way
 * tenderctl's keys, receipts and checkpoints and libtender's bid files are
 * written. */
#ifndef TND_COMMON_FILE_WRITE_H
#define TND_COMMON_FILE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/** Write the len bytes at data as name in the folder dirfd (AT_FDCWD: name
 * is a path) through a temporary file beside it, "NAME.tmpPID": removed
 * first if a crashed run with our pid left it, created with its final mode
 * (O_EXCL, O_NOFOLLOW, never chmod'ed), written, synced, then renamed over
 * name (replace) or linked as name (!replace: an existing name is refused
 * with EEXIST, so an older file is never lost). The folder is not synced.
 * Returns 0, or -1 with errno set (ENAMETOOLONG: name is too long) and no
 * temporary file left. */
int tnd_file_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      bool replace);

#endif
