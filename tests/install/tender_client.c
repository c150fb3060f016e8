/* A program written as a user of the installed libtender would write it: it includes
 * only <tender/...> headers and is built with `pkg-config --cflags --libs tender`
 * (tests/install_check.sh builds it statically and against libtender.so).
 *
 *   tender_client HOST:PORT PKI_DIR NAME
 *
 * It checks the error strings, that a missing CA file is refused with a useful message,
 * issues the identity NAME in PKI_DIR with the library's PKI functions, and asks the
 * running server for its health through the typed stub as that identity. Exit 0 when
 * every check held; otherwise the failed check is on stderr. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <tender/client.h>
#include <tender/error.h>
#include <tender/pki.h>
#include <tender/tender_schema.h>

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "tender_client: " __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                                   \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    char err[512], path[600], cert[700], key[700];
    CHECK(argc == 4, "usage: tender_client HOST:PORT PKI_DIR NAME");
    signal(SIGPIPE, SIG_IGN);

    CHECK(strcmp(tnd_strerror(TND_EINVAL), "invalid argument") == 0, "tnd_strerror(TND_EINVAL)");
    CHECK(strcmp(tnd_err_name(TND_ENOMEM), "TND_ENOMEM") == 0, "tnd_err_name(TND_ENOMEM)");

    /* A CA file that does not exist: refused, naming the file. */
    tnd_client_opts opts;
    tnd_client_opts_init(&opts);
    opts.server = argv[1];
    snprintf(path, sizeof path, "%s/no-such-ca.crt", argv[2]);
    opts.ca_file = path;
    tnd_client *client = NULL;
    int rc = tnd_client_open(&opts, &client, err, sizeof err);
    CHECK(rc == TND_ETLS && client == NULL, "a missing CA gave %d (%s)", rc, tnd_err_name(rc));
    CHECK(strstr(err, "no-such-ca.crt") != NULL, "the error does not name the file: %s", err);

    rc = tnd_pki_issue(argv[2], argv[3], "auditor", "Install Check", 1, err, sizeof err);
    CHECK(rc == 0, "tnd_pki_issue: %s", err);

    snprintf(path, sizeof path, "%s/ca.crt", argv[2]);
    snprintf(cert, sizeof cert, "%s/%s.crt", argv[2], argv[3]);
    snprintf(key, sizeof key, "%s/%s.key", argv[2], argv[3]);
    opts.ca_file = path;
    opts.cert_file = cert;
    opts.key_file = key;
    rc = tnd_client_open(&opts, &client, err, sizeof err);
    CHECK(rc == 0, "tnd_client_open: %s", err);
    CHECK(strcmp(tnd_client_server(client), argv[1]) == 0, "tnd_client_server");

    tender_health_v1_HealthCheckRequest req;
    tender_health_v1_HealthCheckResponse resp;
    tnd_status_info st;
    tender_health_v1_HealthCheckRequest_init(&req);
    int code = tender_health_v1_Health_Check(client, &req, &resp, NULL, &st);
    tnd_client_free(client);
    CHECK(code == TND_STATUS_OK, "Health/Check ended with status %d: %s", code, st.message);
    CHECK(resp.status == tender_health_v1_ServingStatus_SERVING, "the server is not SERVING (%d)",
          (int)resp.status);
    tender_health_v1_HealthCheckResponse_free(&resp);
    tender_health_v1_HealthCheckRequest_free(&req);
    printf("tender_client: SERVING\n");
    return 0;
}
