/*
 * testapp: a tiny static service whose behaviour is set by environment variables, so that
 * cprofiler's tests and offline example can start containers with known properties
 * (a known start delay, a known amount of touched memory, a crash, a hang) from one binary
 * placed in a FROM scratch image.
 *
 *   MODE      http (default) | tcp | exit | crash | never | flood | quiet | caps | forks
 *   PORT      port to listen on (default 8080)
 *   DELAY_MS  milliseconds to sleep before becoming ready (default 0)
 *   ALLOC_MB  MiB of anonymous memory to allocate and touch before becoming ready (default 0)
 *   EXIT_CODE exit code in crash mode (default 3)
 *   SAY       a line to print first, in any mode (e.g. one a log regex backtracks on)
 *   LINE_BYTES  flood mode: bytes per line (default: a short sentence)
 *   FORKS     forks mode: children to fork (at most 5000; each sleeps, and exits after 20 s)
 *
 * caps: try mknod, chroot and a raw socket, print what each did and the uid, and exit with the
 *       number that succeeded (0 when all were refused, as in a restricted container).
 * forks: fork FORKS sleeping children, print how many forks succeeded, and exit 0 if all did,
 *       4 if a fork failed (a pids limit); the children die with the container's init.
 *
 * When ready it prints one line:  ready monotonic_ns=<CLOCK_MONOTONIC in ns>
 * Containers share the host's CLOCK_MONOTONIC, so cprofiler can tell the exact instant.
 * Build: cc -static -O2 -o testapp testapp.c
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static void say_stamp(const struct timespec *ts) {
    printf("ready monotonic_ns=%lld\n", (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec);
    fflush(stdout);
}

static void say_ready(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    say_stamp(&ts);
}

static void on_term(int sig) { (void)sig; _exit(0); }

static const char *outcome(int rc) { return rc == 0 ? "ok" : strerror(errno); }

static int try_caps(void) {
    int n = 0, rc;
    rc = mknod("/testapp-node", S_IFCHR | 0600, makedev(1, 3));
    n += rc == 0;
    printf("caps: uid=%d mknod=%s", (int)getuid(), outcome(rc));
    rc = chroot("/");
    n += rc == 0;
    printf(" chroot=%s", outcome(rc));
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    n += raw >= 0;
    printf(" raw=%s\n", outcome(raw >= 0 ? 0 : -1));
    fflush(stdout);
    return n;
}

static int fork_children(long want) {
    long made = 0;
    if (want > 5000) want = 5000;  /* bounded, whatever the environment says */
    const char *why = "all";
    for (; made < want; made++) {
        pid_t pid = fork();
        if (pid == 0) { alarm(20); pause(); _exit(0); }  /* a child lives 20 s at most */
        if (pid < 0) { why = strerror(errno); break; }
    }
    printf("forks: %ld of %ld (%s)\n", made, want, why);
    fflush(stdout);
    return made == want ? 0 : 4;
}

int main(void) {
    const char *mode = getenv("MODE") ? getenv("MODE") : "http";
    long delay_ms = env_long("DELAY_MS", 0);
    long alloc_mb = env_long("ALLOC_MB", 0);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if (getenv("SAY")) { printf("%s\n", getenv("SAY")); fflush(stdout); }

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
    if (!strcmp(mode, "caps")) return try_caps();
    if (!strcmp(mode, "forks")) return fork_children(env_long("FORKS", 100));
    if (!strcmp(mode, "flood")) {
        long width = env_long("LINE_BYTES", 0);
        if (width > 0) {  /* long lines: a run of 'x' after the line number */
            char *pad = malloc((size_t)width + 1);
            if (!pad) return 1;
            memset(pad, 'x', (size_t)width);
            pad[width] = 0;
            for (unsigned long i = 0;; i++) printf("flood line %lu: %s\n", i, pad);
        }
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
    /* The stamp is taken before listen(): the kernel completes a connection from the moment
     * listen() returns, so a tcp probe may connect before a stamp taken after it. */
    struct timespec ready;
    if (bind(s, (struct sockaddr *)&a, sizeof a)) { perror("bind"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &ready);
    if (listen(s, 64)) { perror("listen"); return 1; }
    say_stamp(&ready);
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
