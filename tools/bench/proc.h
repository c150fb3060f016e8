/* CPU time of a process, from /proc (Linux), for the load generator. */
#ifndef TND_BENCH_PROC_H
#define TND_BENCH_PROC_H

#include <sys/types.h>

/** The CPU seconds (user + system) process pid has used so far: utime +
 * stime of /proc/PID/stat divided by sysconf(_SC_CLK_TCK), so the resolution
 * is one clock tick (usually 10 ms).
 * @return 0; -1 when the file cannot be read or parsed (errno from the read,
 *         or EINVAL). */
int bench_proc_cpu_seconds(pid_t pid, double *out) __attribute__((warn_unused_result));

#endif
