/*
 * testapp: a tiny static service whose behaviour is set by environment variables, so that
 * cprofiler's tests and offline example can start containers with known properties
 * (a known start delay, a known amount of touched memory, a crash, a hang) from one binary
 * placed in a FROM scratch image.
 *
 *   MODE      http (default) | tcp | exit | crash | never | flood | quiet
 *   PORT      port to listen on (default 8080)
 *   DELAY_MS  milliseconds to sleep before becoming ready (default 0)
 *   ALLOC_MB  MiB of anonymous memory to allocate and touch before becoming ready (default 0)
 *   EXIT_CODE exit code in crash mode (default 3)
 *
 * When ready it prints one line:  ready monotonic_ns=<CLOCK_MONOTONIC in ns>
 * Containers share the host's CLOCK_MONOTONIC, so cprofiler can tell the exact instant.
 * Build: cc -static -O2 -o testapp testapp.c
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static void say_ready(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("ready monotonic_ns=%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    fflush(stdout);
}

static void on_term(int sig) { (void)sig; _exit(0); }

int main(void) {
    const char *mode = getenv("MODE") ? getenv("MODE") : "http";
    long delay_ms = env_long("DELAY_MS", 0);
    long alloc_mb = env_long("ALLOC_MB", 0);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);

    if (delay_ms > 0) {
        struct timespec d = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    if (alloc_mb > 0) {
        size_t n = (size_t)alloc_mb << 20;
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        for (size_t i = 0; i < n; i += 4096) p[i] = (char)(i >> 12 | 1); /* touch every page */
    }
    if (!strcmp(mode, "never")) { for (;;) pause(); }
    if (!strcmp(mode, "quiet")) { for (;;) pause(); }
    if (!strcmp(mode, "crash")) {
        fprintf(stderr, "testapp: crashing on purpose\n");
        return (int)env_long("EXIT_CODE", 3);
    }
    if (!strcmp(mode, "flood")) {
        for (unsigned long i = 0;; i++) printf("flood line %lu: the quick brown fox jumps over the lazy dog\n", i);
    }
    if (!strcmp(mode, "exit")) { say_ready(); return 0; }

    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)env_long("PORT", 8080));
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64)) { perror("listen"); return 1; }
    say_ready();
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        if (!strcmp(mode, "http")) {
            char buf[2048];
            ssize_t got = read(c, buf, sizeof buf - 1);
            const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
            const char *nf = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            buf[got > 0 ? got : 0] = 0;
            const char *r = strncmp(buf, "GET /healthz", 12) == 0 ? ok : nf;
            ssize_t w = write(c, r, strlen(r));
            (void)w;
        }
        close(c);
    }
}
