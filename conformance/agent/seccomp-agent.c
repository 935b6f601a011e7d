/*
 * drydock seccomp agent: the other end of linux.seccomp.listenerPath (config-linux.md,
 * SCMP_ACT_NOTIFY). It receives the container process state with the listener fd
 * (SCM_RIGHTS), writes the state to OUT_DIR/state-N.json, answers mkdir and mkdirat with
 * -ERRNO and lets every other notified call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE),
 * appending "<syscall number>\n" to OUT_DIR/notified.log.
 * A runtime that never hands the listener over leaves the call to the kernel (ENOSYS).
 *
 * Usage: seccomp-agent SOCKET OUT_DIR ERRNO [SECONDS]
 * The socket appears at SOCKET only once it listens (bound under a temporary name, then
 * renamed). It exits on SIGTERM/SIGINT or after SECONDS (default 300), removing SOCKET.
 * Built with `cc -O2 -static`, like the probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 64
static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int receive_listener(int conn, char *buf, size_t cap, ssize_t *len) {
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  *len = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  if (*len <= 0) return -1;
  buf[*len] = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) { int fd; memcpy(&fd, CMSG_DATA(c), sizeof fd); return fd; }
  return -1;
}

static void append(const char *dir, const char *name, const char *text, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, text, len) < 0) { /* nothing to do */ }
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s SOCKET OUT_DIR ERRNO [SECONDS]\n", argv[0]); return 2; }
  const char *path = argv[1], *out = argv[2];
  int answer = atoi(argv[3]);
  int seconds = argc > 4 ? atoi(argv[4]) : 300;
  signal(SIGTERM, on_signal); signal(SIGINT, on_signal); signal(SIGPIPE, SIG_IGN);
  int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  char temp[sizeof addr.sun_path];
  if (snprintf(temp, sizeof temp, "%s.%d", path, (int)getpid()) >= (int)sizeof temp) { fprintf(stderr, "socket path too long\n"); return 2; }
  strcpy(addr.sun_path, temp);
  unlink(temp);
  if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 16) != 0 || rename(temp, path) != 0) {
    perror("seccomp-agent: listen");
    return 1;
  }
  struct pollfd fds[MAX_FDS + 1];
  int count = 1, states = 0;
  fds[0] = (struct pollfd){.fd = server, .events = POLLIN};
  time_t end = time(NULL) + seconds;
  while (!stop && time(NULL) < end) {
    int r = poll(fds, count, 1000);
    if (r < 0) { if (errno == EINTR) continue; break; }
    if (fds[0].revents & POLLIN) {
      int conn = accept4(server, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        char buf[65536]; ssize_t len = 0;
        int listener = receive_listener(conn, buf, sizeof buf, &len);
        close(conn);
        if (len > 0) {
          char name[64];
          snprintf(name, sizeof name, "state-%d.json", states++);
          append(out, name, buf, (size_t)len);
        }
        if (listener >= 0 && count <= MAX_FDS) fds[count++] = (struct pollfd){.fd = listener, .events = POLLIN};
        else if (listener >= 0) close(listener);
      }
    }
    for (int i = 1; i < count; i++) {
      if (fds[i].revents & POLLIN) {
        struct seccomp_notif req; struct seccomp_notif_resp resp;
        memset(&req, 0, sizeof req);
        if (ioctl(fds[i].fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
          memset(&resp, 0, sizeof resp);
          resp.id = req.id;
          if (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat) resp.error = -answer;
          else resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
          char line[32];
          int n = snprintf(line, sizeof line, "%d\n", req.data.nr);
          append(out, "notified.log", line, (size_t)n);
          ioctl(fds[i].fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        }
      } else if (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
        close(fds[i].fd);
        fds[i--] = fds[--count];
      }
    }
  }
  unlink(path);
  return 0;
}
