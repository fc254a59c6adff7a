/*
 * kpj-lab: the servers and clients of the conformance lab inside the IPVS test VM, where no JVM
 * runs. It speaks the answers of the host's LabAgent, so NetnsLab reads both alike.
 *
 *   kpj-lab serve NAME tcp|udp PORT
 *     binds a dual-stack socket on PORT, then detaches (own session, stdio on /dev/null) and
 *     answers every connection or datagram with "NAME SOURCE-IP\n"; prints the server's pid
 *     and exits only once the socket is bound, so a request right after it is served.
 *   kpj-lab tcp|udp SRC SRCPORT DST PORT TIMEOUT_MS COUNT
 *     COUNT requests in a row from SRC ("-": the kernel's choice) and SRCPORT (0: any); prints
 *     one line of COUNT tab-separated results, each OUTCOME|TEXT with OUTCOME one of ANSWERED,
 *     REFUSED, TIMEOUT, RESET, UNREACHABLE, ERROR.
 * Run it in a namespace with "ip netns exec NS kpj-lab ...".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct sockaddr_storage address;

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Parses a literal IPv4 or IPv6 address with a port; returns its length, or 0. */
static socklen_t parse(const char *text, int port, address *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((unsigned short)port);
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((unsigned short)port);
    return sizeof *v6;
  }
  return 0;
}

/* The peer's address as text; an IPv4-mapped IPv6 address as plain IPv4. */
static void peer_text(const address *peer, char *out, size_t size) {
  if (peer->ss_family == AF_INET) {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, out, (socklen_t)size);
    return;
  }
  const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(a)) {
    inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)size);
  } else {
    inet_ntop(AF_INET6, a, out, (socklen_t)size);
  }
}

static int serve(const char *name, const char *protocol, int port) {
  int tcp = strcmp(protocol, "tcp") == 0;
  int fd = socket(AF_INET6, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  int off = 0, on = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof any) < 0
      || (tcp && listen(fd, 128) < 0)) {
    fprintf(stderr, "kpj-lab: cannot serve %s %d: %s\n", protocol, port, strerror(errno));
    return 1;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid > 0) {
    printf("%d\n", (int)pid);
    return 0;
  }
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  signal(SIGPIPE, SIG_IGN);
  char answer[256], peer_address[INET6_ADDRSTRLEN];
  for (;;) {
    address peer;
    socklen_t length = sizeof peer;
    if (tcp) {
      int c = accept(fd, (struct sockaddr *)&peer, &length);
      if (c < 0) continue;
      peer_text(&peer, peer_address, sizeof peer_address);
      int n = snprintf(answer, sizeof answer, "%s %s\n", name, peer_address);
      if (write(c, answer, (size_t)n) < 0) { /* the client went early: nothing to keep */ }
      close(c);
    } else {
      char request[2048];
      if (recvfrom(fd, request, sizeof request, 0, (struct sockaddr *)&peer, &length) < 0) {
        continue; /* an ICMP error for an earlier answer */
      }
      peer_text(&peer, peer_address, sizeof peer_address);
      int n = snprintf(answer, sizeof answer, "%s %s\n", name, peer_address);
      sendto(fd, answer, (size_t)n, 0, (struct sockaddr *)&peer, length);
    }
  }
}

/* The outcome of a failed request, named as the host's LabAgent names the JDK's exceptions. */
static void failure(int e, char *out, size_t size) {
  const char *outcome;
  switch (e) {
    case ETIMEDOUT: outcome = "TIMEOUT"; break;
    case ECONNREFUSED: outcome = "REFUSED"; break;
    case EHOSTUNREACH: case ENETUNREACH: outcome = "UNREACHABLE"; break;
    case ECONNRESET: outcome = "RESET"; break;
    default: outcome = "ERROR";
  }
  snprintf(out, size, "%s|%s", outcome, strerror(e));
}

/* Waits until fd is ready for events or the deadline passes; 0 on time out. */
static int wait_for(int fd, short events, long deadline) {
  for (;;) {
    long left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)left);
    if (r > 0) return 1;
    if (r == 0) return 0;
    if (errno != EINTR) return 0;
  }
}

/* Keeps text on one line, as the answers are tab- and line-separated. */
static void one_line(char *text) {
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) {
    text[--n] = 0;
  }
  for (char *c = text; *c; c++) {
    if (*c == '\t' || *c == '\n' || *c == '\r') *c = ' ';
  }
}

static void request(int tcp, const char *src, int src_port, const address *dst,
                    socklen_t dst_length, int timeout_ms, char *out, size_t size) {
  int fd = socket(dst->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    failure(errno, out, size);
    return;
  }
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (strcmp(src, "-") != 0 || src_port != 0) {
    address local;
    socklen_t local_length;
    if (strcmp(src, "-") == 0) {
      memset(&local, 0, sizeof local);
      local.ss_family = dst->ss_family;
      ((struct sockaddr_in *)&local)->sin_port = htons((unsigned short)src_port);
      local_length = dst_length; /* sin_port and sin6_port sit at the same offset */
    } else {
      local_length = parse(src, src_port, &local);
    }
    if (local_length == 0 || bind(fd, (struct sockaddr *)&local, local_length) < 0) {
      failure(local_length == 0 ? EINVAL : errno, out, size);
      close(fd);
      return;
    }
  }
  long deadline = now_ms() + timeout_ms;
  if (connect(fd, (const struct sockaddr *)dst, dst_length) < 0 && errno != EINPROGRESS) {
    failure(errno, out, size);
    close(fd);
    return;
  }
  if (tcp) {
    if (!wait_for(fd, POLLOUT, deadline)) {
      failure(ETIMEDOUT, out, size);
      close(fd);
      return;
    }
    int e = 0;
    socklen_t e_length = sizeof e;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &e_length);
    if (e != 0) {
      failure(e, out, size);
      close(fd);
      return;
    }
    deadline = now_ms() + timeout_ms; /* the read gets its own timeout, as in LabAgent */
  } else if (send(fd, "?", 1, 0) < 0) {
    failure(errno, out, size);
    close(fd);
    return;
  }
  char answer[4097];
  size_t got = 0;
  for (;;) {
    if (!wait_for(fd, POLLIN, deadline)) {
      failure(ETIMEDOUT, out, size);
      close(fd);
      return;
    }
    ssize_t r = recv(fd, answer + got, sizeof answer - 1 - got, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      failure(errno, out, size);
      close(fd);
      return;
    }
    got += (size_t)r;
    if (!tcp || r == 0 || got == sizeof answer - 1) break;
  }
  close(fd);
  answer[got] = 0;
  one_line(answer);
  snprintf(out, size, "ANSWERED|%s", answer);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 5 && strcmp(argv[1], "serve") == 0
      && (strcmp(argv[3], "tcp") == 0 || strcmp(argv[3], "udp") == 0)) {
    return serve(argv[2], argv[3], atoi(argv[4]));
  }
  if (argc == 8 && (strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "udp") == 0)) {
    address dst;
    socklen_t dst_length = parse(argv[4], atoi(argv[5]), &dst);
    int timeout_ms = atoi(argv[6]);
    int count = atoi(argv[7]);
    if (dst_length == 0 || timeout_ms <= 0 || count <= 0) {
      fprintf(stderr, "kpj-lab: bad request\n");
      return 2;
    }
    char result[4200];
    for (int i = 0; i < count; i++) {
      request(strcmp(argv[1], "tcp") == 0, argv[2], atoi(argv[3]), &dst, dst_length, timeout_ms,
              result, sizeof result);
      printf("%s%s", i == 0 ? "" : "\t", result);
    }
    printf("\n");
    return 0;
  }
  fprintf(stderr,
          "usage: kpj-lab serve NAME tcp|udp PORT\n"
          "       kpj-lab tcp|udp SRC SRCPORT DST PORT TIMEOUT_MS COUNT\n");
  return 2;
}
