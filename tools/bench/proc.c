/*
 * proc.c - eqm-bench's progress lines and its child processes (kcat,
 * eqm-stop-search, eqm-devbroker ctl): see bench.h.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

double bench_load1(void) {
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

void bench_say(const char *fmt, ...) {
    va_list ap;
    time_t t = time(NULL);
    struct tm tm;
    char ts[16];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
    fprintf(stderr, "[bench %s] ", ts);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

pid_t bench_spawn(char *const argv[], const char *log_path, int out_fd) {
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        bench_say("cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

int bench_reap(pid_t pid, double timeout_s) {
    int64_t deadline = now_us() + (int64_t)(timeout_s * 1e6);
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return -1;
        if (now_us() > deadline)
            break;
        usleep(20000);
    }
    bench_say("pid %d still running after %.0f s: stopping it", (int)pid, timeout_s);
    kill(pid, SIGTERM);
    deadline = now_us() + 10000000;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_us() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        usleep(20000);
    }
    return -1;
}

bool bench_alive(pid_t pid) {
    int st;
    return waitpid(pid, &st, WNOHANG) == 0;
}
