/* Atomic-ish output of PREFIX.h and PREFIX.c. */
#ifndef SCHEMAC_OUTPUT_H
#define SCHEMAC_OUTPUT_H

#include "schemac.h"

/** Write PREFIX.h and PREFIX.c through temporary files renamed into place.
 * Returns 0, or -1 after printing why; no temporary file is left behind. */
int sc_write_outputs(sc_arena *a, const char *prefix, const sc_buf *header, const sc_buf *source);

#endif
