/* A process's CPU seconds from /proc/PID/stat: see proc.h. */
#include "proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bench_proc_cpu_seconds(pid_t pid, double *out)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so the
     * fields are counted from the last ')'. utime and stime are fields 14 and
     * 15 (1-based), the 12th and 13th after the ')'. */
    char *p = strrchr(buf, ')');
    long tick = sysconf(_SC_CLK_TCK);
    if (!p || tick <= 0) {
        errno = EINVAL;
        return -1;
    }
    p++;
    unsigned long long utime = 0, stime = 0;
    for (int field = 3; field <= 15; field++) {
        while (*p == ' ')
            p++;
        if (*p == '\0') {
            errno = EINVAL;
            return -1;
        }
        char *end;
        if (field == 14 || field == 15) {
            errno = 0;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p || errno) {
                errno = EINVAL;
                return -1;
            }
            if (field == 14)
                utime = v;
            else
                stime = v;
            p = end;
        } else {
            p += strcspn(p, " ");
        }
    }
    *out = (double)(utime + stime) / (double)tick;
    return 0;
}
