/* Scraping the metrics listener in tests (see scrape.h). */
#include "scrape.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 5000

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

int scrape_http(int port, const char *method, const char *path, char *body, size_t cap)
{
    int fd = connect_local(port);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t rcap = 1 << 20, len = 0;
    char *resp = malloc(rcap + 1);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (resp && len < rcap && poll(&p, 1, IO_TIMEOUT_MS) == 1) {
        ssize_t r = read(fd, resp + len, rcap - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (!resp)
        return -1;
    resp[len] = '\0';
    int code = -1;
    char *sep = strstr(resp, "\r\n\r\n");
    if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1 || !sep)
        code = -1;
    if (body && cap) {
        snprintf(body, cap, "%s", sep ? sep + 4 : "");
    }
    free(resp);
    return code;
}

int scrape_parsed(int port, char *out, size_t cap)
{
    size_t bcap = 1 << 20;
    char *body = malloc(bcap), txt[] = "/tmp/tnd_scrape_XXXXXX";
    int fd = mkstemp(txt);
    if (!body || fd < 0) {
        free(body);
        return -1;
    }
    int code = scrape_http(port, "GET", "/metrics", body, bcap);
    size_t bl = strlen(body);
    int ok = code == 200 && write(fd, body, bl) == (ssize_t)bl;
    close(fd);
    free(body);
    if (!ok) {
        fprintf(stderr, "scrape: GET /metrics answered %d\n", code);
        unlink(txt);
        return -1;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/metrics_parse.py '%s'", txt);
    FILE *p = popen(cmd, "r");
    size_t len = 0;
    if (p) {
        size_t r;
        while (len + 1 < cap && (r = fread(out + len, 1, cap - 1 - len, p)) > 0)
            len += r;
    }
    out[len] = '\0';
    int rc = p ? pclose(p) : -1;
    unlink(txt);
    return rc == 0 ? 0 : -1;
}

double scrape_value(const char *parsed, const char *sample)
{
    size_t sl = strlen(sample);
    const char *line = parsed;
    while (*line) {
        if (strncmp(line, sample, sl) == 0 && line[sl] == ' ')
            return strtod(line + sl + 1, NULL);
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return -1;
}

int scrape_type(const char *parsed, const char *family, char *type, size_t len)
{
    char want[256];
    int n = snprintf(want, sizeof want, "# TYPE %s ", family);
    const char *at = strstr(parsed, want);
    if (!at || (at != parsed && at[-1] != '\n'))
        return -1;
    at += n;
    snprintf(type, len, "%.*s", (int)strcspn(at, "\n"), at);
    return 0;
}

/* Is socket inode ino one of this process's open file descriptors? */
static int own_socket(unsigned long ino)
{
    char want[64], link[64], path[300];
    snprintf(want, sizeof want, "socket:[%lu]", ino);
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d))) {
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n > 0) {
            link[n] = '\0';
            found = strcmp(link, want) == 0;
        }
    }
    if (d)
        closedir(d);
    return found;
}

int scrape_listening_sockets(void)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    int count = 0;
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        char line[512];
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            unsigned st;
            unsigned long ino;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &st, &ino) == 2 &&
                st == 0x0A && own_socket(ino))
                count++;
        }
        fclose(f);
    }
    return count;
}

int scrape_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}
