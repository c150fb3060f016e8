/* Test support: scrape tenderd's metrics listener over plain HTTP and read
 * the text with the Prometheus client's parser (tests/metrics_parse.py, run
 * with Debian's /usr/bin/python3; tests run from the repository root). */
#ifndef TND_TEST_SCRAPE_H
#define TND_TEST_SCRAPE_H

#include <stddef.h>

/** One HTTP/1.0 request to 127.0.0.1:port; the response body (NUL-terminated,
 * cut at cap - 1) into body (may be NULL). Returns the status code, or -1
 * when there is no HTTP answer (refused, timeout, garbage). */
int scrape_http(int port, const char *method, const char *path, char *body, size_t cap);

/** GET /metrics and parse it: what tests/metrics_parse.py printed into out.
 * Returns 0, or -1 (not 200, or the parser refused the text: the reason is
 * on stderr). */
int scrape_parsed(int port, char *out, size_t cap);

/** The value of one sample line of scrape_parsed's output, named exactly as
 * printed (labels sorted: `tenderd_calls_total{method="m",status="OK"}`), or
 * -1 when it is absent. */
double scrape_value(const char *parsed, const char *sample);

/** The type the parser gave a metric family ("counter", "gauge",
 * "histogram"), copied into type; -1 when the family is absent. */
int scrape_type(const char *parsed, const char *family, char *type, size_t len);

/** Open listening TCP sockets of this process (from /proc/net/tcp{,6}). */
int scrape_listening_sockets(void);

/** A port that was free a moment ago on 127.0.0.1. */
int scrape_free_port(void);

#endif
