/* pdf.c - a page printed to PDF by headless Chromium (pdf.h). */
#define _GNU_SOURCE
#include "pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Writes n bytes of s to path; 0 or -1. */
static int write_file(const char *path, const char *s, size_t n) {
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    if (fwrite(s, 1, n, fp) != n) {
        fclose(fp);
        return -1;
    }
    return fclose(fp) == 0 ? 0 : -1;
}

static int read_file(const char *path, char **out, size_t *len) {
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long n;
    if (!fp)
        return -1;
    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
        !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    *out = buf;
    *len = (size_t)n;
    return 0;
}

/* Waits for pid up to timeout_s; kills it past that. Its exit status, or
 * -1 (killed or lost). */
static int wait_bounded(pid_t pid, long timeout_s) {
    struct timespec start, now, tick = {0, 50 * 1000 * 1000};
    int status;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s) {
            /* Its whole group: Chromium starts helpers of its own. */
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -2;
        }
        nanosleep(&tick, NULL);
    }
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes the scratch folder: the page, the PDF, Chromium's profile. */
static void remove_tree(const char *dir) {
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int eqm_web_pdf(const char *html, const char *chromium, long timeout_s, char **pdf, size_t *len,
                char *errstr, size_t sz) {
    char dir[] = "/tmp/eqm-pack.XXXXXX", page[64], out[64], profile[64], arg_pdf[96],
         arg_profile[96], url[96];
    pid_t pid;
    int rc;

    *pdf = NULL;
    *len = 0;
    if (!mkdtemp(dir)) {
        snprintf(errstr, sz, "cannot make a scratch folder for the PDF: %s", strerror(errno));
        return -1;
    }
    snprintf(page, sizeof(page), "%s/pack.html", dir);
    snprintf(out, sizeof(out), "%s/pack.pdf", dir);
    snprintf(profile, sizeof(profile), "%s/profile", dir);
    snprintf(arg_pdf, sizeof(arg_pdf), "--print-to-pdf=%s", out);
    snprintf(arg_profile, sizeof(arg_profile), "--user-data-dir=%s", profile);
    snprintf(url, sizeof(url), "file://%s", page);
    if (write_file(page, html, strlen(html)) != 0) {
        snprintf(errstr, sz, "cannot write the pack's page: %s", strerror(errno));
        remove_tree(dir);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(errstr, sz, "cannot start %s: %s", chromium, strerror(errno));
        remove_tree(dir);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        setpgid(0, 0);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        execlp(chromium, chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--no-default-browser-check", "--no-pdf-header-footer",
               "--virtual-time-budget=10000", arg_profile, arg_pdf, url, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    rc = wait_bounded(pid, timeout_s);
    if (rc == 127)
        snprintf(errstr, sz, "%s could not be run (is Debian's chromium installed?)", chromium);
    else if (rc == -2)
        snprintf(errstr, sz, "%s took longer than %ld s to print the pack", chromium, timeout_s);
    else if (rc != 0)
        snprintf(errstr, sz, "%s failed printing the pack (exit %d)", chromium, rc);
    else if (read_file(out, pdf, len) != 0 || *len < 5 || memcmp(*pdf, "%PDF-", 5) != 0) {
        snprintf(errstr, sz, "%s wrote no PDF", chromium);
        free(*pdf);
        *pdf = NULL;
        rc = -1;
    }
    remove_tree(dir);
    return rc == 0 ? 0 : -1;
}
