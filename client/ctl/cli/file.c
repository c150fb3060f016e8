/* Files tenderctl keeps: written through a temporary file beside the target
 * (created with its final mode, never chmod'ed), synced and renamed into
 * place, so that a crash never leaves half a key or half a receipt; read
 * whole with a cap; private folders made as needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "file_write.h"

int ctl_file_write(const char *path, const void *data, size_t len, mode_t mode, bool replace)
{
    if (tnd_file_write_at(AT_FDCWD, path, data, len, mode, replace) == 0)
        return 0;
    if (errno == ENAMETOOLONG)
        ctl_err("%s: the path is too long", path);
    else
        ctl_err("cannot write %s: %s", path, strerror(errno));
    return CTL_EXIT_FAIL;
}

long ctl_file_read(const char *path, char **out, size_t max)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > max) {
        free(buf);
        errno = bad ? EIO : EFBIG;
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    return (long)n;
}

int ctl_dir_private(const char *path)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
        ctl_err("%s: the path is too long", path);
        return CTL_EXIT_FAIL;
    }
    /* Each missing folder on the way is made 0700; existing ones are kept. */
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            ctl_err("cannot create the folder %s: %s", p, strerror(errno));
            return CTL_EXIT_FAIL;
        }
        if (c == '\0')
            break;
        *s = c;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ctl_err("%s is not a folder", path);
        return CTL_EXIT_FAIL;
    }
    return 0;
}

void ctl_doc_file_name(const char *name, size_t index, char *out, size_t len)
{
    const char *base = name ? strrchr(name, '/') : NULL;
    base = base ? base + 1 : name ? name : "";
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        base = "document";
    int n = snprintf(out, len, "%zu-", index);
    for (const char *p = base; *p && (size_t)n + 1 < len; p++)
        out[n++] = (unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\' ? '_' : *p;
    out[n] = '\0';
}
