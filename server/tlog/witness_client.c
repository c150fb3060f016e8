/* One round of add-checkpoint requests (witnesses.h), on a thread-pool
 * thread: every witness at once through libcurl's multi interface, each
 * bounded in time (timeout) and in what it may send back
 * (TND_WITNESS_RESPONSE_MAX), so no witness can hold the round longer than
 * the timeout or make tenderd hold more than that. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "witnesses.h"

int tnd_witness_client_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : TND_EIO;
}

typedef struct one {
    tnd_witness_post *post;
    CURL *easy;
    size_t cap;
    bool too_large;
    bool done; /* answered or failed, not cut off by abort */
    char errbuf[CURL_ERROR_SIZE];
} one;

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    one *o = arg;
    tnd_witness_post *p = o->post;
    size_t n = size * nmemb;
    if (n > TND_WITNESS_RESPONSE_MAX - p->resp_len) {
        o->too_large = true;
        return 0; /* curl stops: CURLE_WRITE_ERROR */
    }
    if (p->resp_len + n + 1 > o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 1024;
        while (nc < p->resp_len + n + 1)
            nc *= 2;
        char *r = realloc(p->resp, nc);
        if (!r)
            return 0;
        p->resp = r;
        o->cap = nc;
    }
    memcpy(p->resp + p->resp_len, data, n);
    p->resp_len += n;
    p->resp[p->resp_len] = '\0';
    return n;
}

static void fail(tnd_witness_post *p, const char *reason, const char *fmt, const char *what)
{
    p->status = 0;
    p->reason = reason;
    snprintf(p->error, sizeof p->error, fmt, what);
}

void tnd_witness_post_all(tnd_witness_post *posts, size_t n, uint32_t timeout_ms,
                          _Atomic bool *abort)
{
    one *ones = calloc(n ? n : 1, sizeof *ones);
    CURLM *m = curl_multi_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:"); /* no 100-continue wait */
    if (hdrs)
        hdrs = curl_slist_append(hdrs, "Content-Type: text/plain; charset=utf-8");
    for (size_t i = 0; i < n; i++) {
        posts[i].status = 0;
        posts[i].resp = NULL;
        posts[i].resp_len = 0;
        posts[i].error[0] = '\0';
        posts[i].reason = NULL;
        if (!ones || !m || !hdrs) {
            fail(&posts[i], "network", "%s", "out of memory");
            continue;
        }
        one *o = &ones[i];
        o->post = &posts[i];
        o->easy = curl_easy_init();
        CURL *e = o->easy;
        if (!e || curl_easy_setopt(e, CURLOPT_URL, posts[i].url) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, posts[i].body) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)posts[i].body_len) !=
                CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEDATA, o) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_ERRORBUFFER, o->errbuf) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PRIVATE, o) != CURLE_OK ||
            curl_multi_add_handle(m, e) != CURLM_OK) {
            fail(&posts[i], "network", "%s", "cannot set up the request");
            if (e)
                curl_easy_cleanup(e);
            o->easy = NULL;
        }
    }
    int running = 0;
    if (m)
        curl_multi_perform(m, &running);
    while (running > 0 && !atomic_load(abort)) {
        /* Wake at least every 100 ms to see abort. */
        if (curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK ||
            curl_multi_perform(m, &running) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while (m && (msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        one *o = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&o);
        if (!o)
            continue;
        tnd_witness_post *p = o->post;
        CURLcode res = msg->data.result;
        long code = 0;
        if (res == CURLE_OK &&
            curl_easy_getinfo(o->easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code > 0) {
            p->status = code;
        } else if (o->too_large) {
            char lim[32];
            snprintf(lim, sizeof lim, "%d", TND_WITNESS_RESPONSE_MAX);
            fail(p, "too_large", "the answer is longer than %s bytes", lim);
        } else if (res == CURLE_OPERATION_TIMEDOUT) {
            fail(p, "timeout", "%s", o->errbuf[0] ? o->errbuf : curl_easy_strerror(res));
        } else {
            fail(p, "network", "%s", o->errbuf[0] ? o->errbuf : curl_easy_strerror(res));
        }
        o->done = true;
    }
    for (size_t i = 0; ones && i < n; i++) {
        one *o = &ones[i];
        if (o->easy && !o->done) /* still running: aborted */
            fail(&posts[i], "network", "%s", "tenderd is stopping");
        if (o->easy) {
            curl_multi_remove_handle(m, o->easy);
            curl_easy_cleanup(o->easy);
        }
    }
    if (m)
        curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
    free(ones);
}
