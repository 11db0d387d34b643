/*
 * control.c - eqm-devbroker's control socket: a Unix stream socket taking
 * one command per line from up to CTL_CLIENTS_MAX clients, each answered
 * with one line; and the client, `eqm-devbroker ctl` (see devbroker.h).
 * Non-blocking throughout: the main loop also serves librdkafka.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "devbroker.h"

static void client_close(struct ctl_client *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

/* Replies are short and the socket fresh, so a non-blocking send fits. */
static void ctl_send(struct ctl_client *c, const char *text) {
    size_t len = strlen(text);

    if (send(c->fd, text, len, MSG_NOSIGNAL) != (ssize_t)len)
        client_close(c);
}

int ctl_server_open(struct ctl_server *srv, const char *path, char *errstr, size_t errstr_size) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    int fd = -1, probe;

    srv->fd = -1;
    srv->path = path;
    for (int i = 0; i < CTL_CLIENTS_MAX; i++)
        srv->clients[i].fd = -1;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(errstr, errstr_size, "control socket path longer than %zu bytes",
                 sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(errstr, errstr_size, "%s exists and is not a socket", path);
            return -1;
        }
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            close(probe);
            snprintf(errstr, errstr_size, "%s is in use by a running devbroker", path);
            return -1;
        }
        if (probe >= 0)
            close(probe);
        unlink(path);
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, CTL_CLIENTS_MAX) < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    srv->fd = fd;
    return 0;
}

void ctl_server_close(struct ctl_server *srv) {
    if (srv->fd < 0)
        return;
    for (int i = 0; i < CTL_CLIENTS_MAX; i++)
        client_close(&srv->clients[i]);
    close(srv->fd);
    srv->fd = -1;
    unlink(srv->path);
}

static void ctl_server_accept(struct ctl_server *srv) {
    int fd;

    while ((fd = accept(srv->fd, NULL, NULL)) >= 0) {
        struct ctl_client *slot = NULL;

        /* accept4() is GNU-only; set the flags the accepted fd lacks. */
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
            close(fd);
            continue;
        }

        for (int i = 0; i < CTL_CLIENTS_MAX && !slot; i++)
            if (srv->clients[i].fd < 0)
                slot = &srv->clients[i];
        if (!slot) {
            struct ctl_client tmp = {.fd = fd};
            ctl_send(&tmp, "error too many control clients\n");
            client_close(&tmp);
            continue;
        }
        slot->fd = fd;
        slot->len = 0;
    }
}

/* Reads what is there and answers every complete line; EOF ends a last line. */
static void ctl_client_read(struct devbroker *db, struct ctl_client *c) {
    char out[CTL_LINE_MAX + 16];
    char *nl;
    ssize_t n;
    bool eof = false;

    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0)
        eof = true;
    else
        c->len += (size_t)n;
    c->buf[c->len] = '\0';

    while ((nl = memchr(c->buf, '\n', c->len))) {
        size_t used = (size_t)(nl - c->buf) + 1;

        *nl = '\0';
        devbroker_command_run(db, c->buf, out, sizeof(out));
        ctl_send(c, out);
        if (c->fd < 0)
            return; /* the peer went away; the send closed it */
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        c->buf[c->len] = '\0';
    }
    if (eof) {
        if (c->len > 0) {
            devbroker_command_run(db, c->buf, out, sizeof(out));
            ctl_send(c, out);
        }
        client_close(c);
    } else if (c->len >= sizeof(c->buf) - 1) {
        ctl_send(c, "error line too long\n");
        client_close(c);
    }
}

int ctl_server_poll(struct devbroker *db, struct ctl_server *srv, int timeout_ms) {
    struct pollfd pfds[1 + CTL_CLIENTS_MAX];
    struct ctl_client *owners[1 + CTL_CLIENTS_MAX];
    nfds_t n = 0;
    int r;

    pfds[n].fd = srv->fd;
    pfds[n].events = POLLIN;
    owners[n++] = NULL;
    for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
        if (srv->clients[i].fd < 0)
            continue;
        pfds[n].fd = srv->clients[i].fd;
        pfds[n].events = POLLIN;
        owners[n++] = &srv->clients[i];
    }
    r = poll(pfds, n, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -1;
    for (nfds_t i = 1; i < n; i++)
        if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
            ctl_client_read(db, owners[i]);
    if (pfds[0].revents & POLLIN)
        ctl_server_accept(srv);
    return 0;
}

int ctl_main(int argc, char **argv) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
    char line[CTL_LINE_MAX], reply[CTL_LINE_MAX];
    size_t o = 0, len = 0;
    int fd = -1, rc = 1;

    if (argc < 4) {
        fprintf(stderr, "usage: eqm-devbroker ctl SOCKET COMMAND [ARGS...]\n");
        return 1;
    }
    if (strlen(argv[2]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "error socket path too long: %s\n", argv[2]);
        return 1;
    }
    memcpy(addr.sun_path, argv[2], strlen(argv[2]) + 1);
    for (int i = 3; i < argc; i++) {
        int n = snprintf(line + o, sizeof(line) - o, "%s%s", i > 3 ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(line) - o - 1) {
            fprintf(stderr, "error command too long\n");
            return 1;
        }
        o += (size_t)n;
    }
    line[o++] = '\n';

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "error %s: %s\n", argv[2], strerror(errno));
        goto out;
    }
    if (send(fd, line, o, MSG_NOSIGNAL) != (ssize_t)o) {
        fprintf(stderr, "error send: %s\n", strerror(errno));
        goto out;
    }
    shutdown(fd, SHUT_WR);
    /* Bounded by SO_RCVTIMEO per read and by the reply buffer size. */
    while (len < sizeof(reply) - 1) {
        ssize_t n = recv(fd, reply + len, sizeof(reply) - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "error no reply: %s\n", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (memchr(reply, '\n', len))
            break;
    }
    reply[len] = '\0';
    reply[strcspn(reply, "\n")] = '\0';
    if (len == 0) {
        fprintf(stderr, "error empty reply\n");
        goto out;
    }
    printf("%s\n", reply);
    rc = (strcmp(reply, "ok") == 0 || strncmp(reply, "ok ", 3) == 0) ? 0 : 1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}
