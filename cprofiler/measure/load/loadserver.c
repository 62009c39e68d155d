/*
 * loadserver: a single-threaded HTTP/1.1 keep-alive server (epoll) with a known cost per request,
 * for cprofiler's load phase: its tests (a CPU-bound server must serve 1e6/COST_US requests a
 * second on one core) and the generator's ceiling (COST_US=0: the cheapest server there is, so
 * whatever rate it reaches is the generator's limit, not the server's).
 *
 *   PORT         port to listen on (default 8080)
 *   COST_US      CPU microseconds burnt per request (default 0), counted on CLOCK_THREAD_CPUTIME_ID
 *                so that it is real CPU time of this server, not wall time lost to preemption
 *   HOLD_KB      KiB of memory touched and kept per request (default 0) ...
 *   HOLD_MAX_MB  ... until this many MiB are held in all (default 256)
 *   FAIL_PATH    a request path answered with 500 Internal Server Error (default: none)
 *   FAIL_EVERY   every Nth request (counted over all connections) is answered with FAIL_STATUS
 *   FAIL_STATUS  ... this status, fast and with an empty body (default 500; 302 has a Location)
 *   STALL_EVERY  every Nth request gets no answer: its connection is held silent ...
 *   STALL_MAX_S  ... until the client gives up and closes it, or for this many seconds, after
 *                which it is answered 200 (default 0: never), for clients that wait forever
 *
 * Every other request is answered 200 with "ok\n". When listening it prints one line:
 *   ready monotonic_ns=<CLOCK_MONOTONIC in ns>
 * Build: cc -static -O2 -o loadserver loadserver.c
 */
#define _GNU_SOURCE /* memmem, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_MAX 16384
#define OUT_MAX 65536
#define EVENTS 256

struct conn {
    int fd;
    int stalled;   /* a request of it is held without an answer (STALL_EVERY) */
    long long stalled_until_ns;
    struct conn *next_stalled;
    int closing;   /* close once the output is written (Connection: close, a bad request) */
    int want_out;  /* EPOLLOUT is in its epoll mask: output is waiting for room */
    size_t in_len, out_len, out_sent;
    char in[IN_MAX];
    char out[OUT_MAX];
};

static long cost_us;
static size_t hold_bytes, hold_max, held;
static char *hold_area;
static const char *fail_path;
static long fail_every, stall_every, stall_max_s, requests_seen;
static char fail_every_text[128];
static struct conn *stalled_list; /* every stalled connection */

static const char OK[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
static const char FAIL[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
static const char BAD[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static long long now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_term(int sig) { (void)sig; _exit(0); }

/* Burn COST_US of this thread's CPU time: wall time would also count time spent preempted. */
static void burn(void) {
    if (cost_us <= 0) return;
    long long until = now_ns(CLOCK_THREAD_CPUTIME_ID) + cost_us * 1000LL;
    volatile unsigned long x = 0;
    while (now_ns(CLOCK_THREAD_CPUTIME_ID) < until)
        for (int i = 0; i < 64; i++) x += (unsigned long)i;
}

/* Touch the next HOLD_KB of the reserved area (one write per page) and keep it. */
static void hold(void) {
    if (hold_bytes == 0 || held >= hold_max) return;
    size_t end = held + hold_bytes < hold_max ? held + hold_bytes : hold_max;
    for (size_t i = held; i < end; i += 4096) hold_area[i] = 1;
    held = end;
}

static void unstall(struct conn *c) {
    for (struct conn **p = &stalled_list; *p; p = &(*p)->next_stalled)
        if (*p == c) { *p = c->next_stalled; break; }
    c->stalled = 0;
}

static void close_conn(int ep, struct conn *c) {
    if (c->stalled) unstall(c);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static void queue(struct conn *c, const char *text, size_t n) {
    if (c->out_len + n > OUT_MAX) return; /* the client pipelines more than it reads: drop, it will time out */
    memcpy(c->out + c->out_len, text, n);
    c->out_len += n;
}

/* Write what is queued; 0 when all of it went out, 1 when the socket is full, -1 on error. */
static int flush_out(struct conn *c) {
    while (c->out_sent < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_sent, c->out_len - c->out_sent);
        if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        c->out_sent += (size_t)w;
    }
    c->out_len = c->out_sent = 0;
    return 0;
}

/* Case-insensitive search for a header line "name: value" in the head; the value or NULL. */
static const char *header(const char *head, size_t len, const char *name) {
    size_t n = strlen(name);
    for (const char *p = head; p + n + 1 < head + len; p++) {
        if ((p == head || p[-1] == '\n') && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ') p++;
            return p;
        }
    }
    return NULL;
}

/* Answer every complete request in the input buffer; 1 when the connection is to be closed. */
static int serve(struct conn *c) {
    size_t used = 0;
    int close_after = 0;
    while (!close_after && !c->stalled) {
        char *start = c->in + used;
        size_t avail = c->in_len - used;
        char *end = memmem(start, avail, "\r\n\r\n", 4);
        if (end == NULL) break;
        size_t head_len = (size_t)(end - start) + 4;
        const char *cl = header(start, head_len, "content-length");
        size_t body = cl ? (size_t)strtoul(cl, NULL, 10) : 0;
        if (head_len + body > IN_MAX) { queue(c, BAD, sizeof BAD - 1); return 1; }
        if (head_len + body > avail) break; /* the body has not all arrived */
        const char *conn_hdr = header(start, head_len, "connection");
        close_after = conn_hdr != NULL && strncasecmp(conn_hdr, "close", 5) == 0;
        char *path = memchr(start, ' ', head_len);
        int failed = 0;
        if (path != NULL && fail_path != NULL) {
            size_t n = strlen(fail_path);
            failed = strncmp(path + 1, fail_path, n) == 0 && (path[n + 1] == ' ' || path[n + 1] == '?');
        }
        burn();
        hold();
        long n = ++requests_seen;
        used += head_len + body;
        if (stall_every > 0 && n % stall_every == 0) { /* hold it: no answer, nothing after it either */
            c->stalled = 1;
            c->stalled_until_ns = stall_max_s > 0 ? now_ns(CLOCK_MONOTONIC) + stall_max_s * 1000000000LL : -1;
            c->next_stalled = stalled_list;
            stalled_list = c;
        } else if (failed) queue(c, FAIL, sizeof FAIL - 1);
        else if (fail_every > 0 && n % fail_every == 0) queue(c, fail_every_text, strlen(fail_every_text));
        else queue(c, OK, sizeof OK - 1);
    }
    if (used > 0) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    if (c->in_len == IN_MAX) { queue(c, BAD, sizeof BAD - 1); return 1; } /* a head larger than the buffer */
    return close_after;
}

/* Write what is queued and wait for room to write only while output is pending; -1 when it is to be closed. */
static int after_output(int ep, struct conn *c) {
    int f = flush_out(c);
    if (f < 0 || (f == 0 && c->closing)) return -1;
    if (f != c->want_out) {
        c->want_out = f;
        struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP | (f ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
    }
    return 0;
}

/* Milliseconds until the first stalled request is due its answer; -1 when none is. */
static int stalled_wait_ms(void) {
    long long first = -1, now = now_ns(CLOCK_MONOTONIC);
    for (struct conn *c = stalled_list; c; c = c->next_stalled)
        if (c->stalled_until_ns >= 0 && (first < 0 || c->stalled_until_ns < first)) first = c->stalled_until_ns;
    if (first < 0) return -1;
    return first <= now ? 0 : (int)((first - now) / 1000000 + 1);
}

/* Answer the stalled requests whose STALL_MAX_S is up (200), then what their clients sent after them. */
static void answer_stalled(int ep) {
    long long now = now_ns(CLOCK_MONOTONIC);
    struct conn *c = stalled_list;
    while (c) {
        struct conn *next = c->next_stalled;
        if (c->stalled_until_ns >= 0 && c->stalled_until_ns <= now) {
            unstall(c);
            queue(c, OK, sizeof OK - 1);
            if (!c->closing) c->closing = serve(c);
            if (after_output(ep, c) < 0) close_conn(ep, c);
        }
        c = next;
    }
}

int main(void) {
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    cost_us = env_long("COST_US", 0);
    hold_bytes = (size_t)env_long("HOLD_KB", 0) << 10;
    hold_max = (size_t)env_long("HOLD_MAX_MB", 256) << 20;
    fail_path = getenv("FAIL_PATH");
    fail_every = env_long("FAIL_EVERY", 0);
    stall_every = env_long("STALL_EVERY", 0);
    stall_max_s = env_long("STALL_MAX_S", 0);
    long fail_status = env_long("FAIL_STATUS", 500);
    snprintf(fail_every_text, sizeof fail_every_text, "HTTP/1.1 %ld %s\r\n%sContent-Length: 0\r\n\r\n", fail_status,
             fail_status == 302 ? "Found" : fail_status == 500 ? "Internal Server Error" : "Error",
             fail_status / 100 == 3 ? "Location: /\r\n" : "");
    if (fail_path != NULL && *fail_path == '\0') fail_path = NULL;
    if (hold_bytes > 0 && hold_max > 0) {
        /* Reserved, not touched: only the pages hold() writes count as the container's memory. */
        hold_area = mmap(NULL, hold_max, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (hold_area == MAP_FAILED) { perror("mmap"); return 1; }
    }

    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)env_long("PORT", 8080));
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1024)) { perror("listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev)) { perror("epoll"); return 1; }
    printf("ready monotonic_ns=%lld\n", now_ns(CLOCK_MONOTONIC));
    fflush(stdout);

    struct epoll_event events[EVENTS];
    for (;;) {
        answer_stalled(ep);
        int n = epoll_wait(ep, events, EVENTS, stalled_wait_ms());
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) { /* the listening socket: accept every waiting client */
                for (;;) {
                    int fd = accept4(s, NULL, NULL, SOCK_NONBLOCK);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = malloc(sizeof *nc);
                    if (nc == NULL) { close(fd); continue; }
                    nc->fd = fd;
                    nc->closing = nc->want_out = nc->stalled = 0;
                    nc->in_len = nc->out_len = nc->out_sent = 0;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev)) { close(fd); free(nc); }
                }
                continue;
            }
            if (events[i].events & EPOLLIN) {
                ssize_t r = read(c->fd, c->in + c->in_len, IN_MAX - c->in_len);
                if (r > 0) {
                    c->in_len += (size_t)r;
                    if (!c->closing) c->closing = serve(c);
                } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    close_conn(ep, c);
                    continue;
                }
            } else if (!(events[i].events & EPOLLOUT)) { /* error or hang-up with nothing to read */
                close_conn(ep, c);
                continue;
            }
            if (after_output(ep, c) < 0) close_conn(ep, c);
        }
    }
}
