/* Test support: plain HTTP/1.1 requests to tenderd's --http listener on
 * 127.0.0.1, one connection each, read until the server closes. Failures
 * fail the cmocka test. */
#ifndef TND_TEST_HTTPGET_H
#define TND_TEST_HTTPGET_H

#include <stddef.h>

typedef struct hresp {
    int status;       /* the status line's code */
    char head[16384]; /* the status line and headers, NUL-terminated */
    char *body;       /* NUL-terminated; free with http_free */
    size_t len;
} hresp;

/** A connected TCP socket to 127.0.0.1:port. */
int http_connect(int port);

/** Send req (len bytes, as given) and read the answer into r. */
void http_raw(int port, const char *req, size_t len, hresp *r);

/** METHOD path with Connection: close and extra headers (each ending in
 * "\r\n"; NULL: none). */
void http_req(int port, const char *method, const char *path, const char *headers, hresp *r);

/** A header's value (case-insensitive name) into buf; NULL when absent. */
const char *http_header(const hresp *r, const char *name, char *buf, size_t len);

void http_free(hresp *r);

#endif
