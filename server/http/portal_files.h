/* The web portal's files, embedded at build time: tools/portalgen.c writes
 * $(BUILD)/gen/portal_files.c from web/ (never committed), http_portal.c
 * serves them. */
#ifndef TND_SERVER_PORTAL_FILES_H
#define TND_SERVER_PORTAL_FILES_H

#include <stddef.h>

typedef struct tnd_portal_file {
    const char *path; /* "/index.html", "/js/app.js" */
    const char *type; /* its media type */
    const char *etag; /* quoted: a hash of the content */
    const unsigned char *data;
    size_t len;
} tnd_portal_file;

extern const tnd_portal_file tnd_portal_files[];
extern const unsigned tnd_portal_n_files;

#endif
