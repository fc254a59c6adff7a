/*
 * kpj-agent: runs argument vectors sent by the host over a virtio-serial port and answers with
 * the exit status, stdout and stderr, so the JVM stays on the host while the kernel tools run
 * in the IPVS test VM. No shell, no network: the port is QEMU's chardev and nothing else.
 *
 * Wire format (every integer a big-endian u32; Java's DataInputStream reads it as is):
 *   request:  MAGIC, flags (bit 0: detach), timeout_ms, argc, argc x (len, bytes),
 *             stdin_len, stdin bytes
 *   response: MAGIC, status, code, stdout_len, stdout bytes, stderr_len, stderr bytes
 * status: 0 exited with code, 1 killed by signal code, 2 timed out (killed), 3 could not start
 * (code = errno, stderr says why). A detached command is started in its own session with
 * /dev/null as stdio and not waited for: its response is status 0 with its pid as stdout.
 *
 * Usage: kpj-agent PORT_DEVICE [--poweroff-on-disconnect]
 * With the flag, the VM powers off once the host that talked to it disconnects (its JVM died),
 * so a VM can never outlive its test for long. The agent reaps orphans, as it may run as PID 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x4b504a31u /* "KPJ1" */
#define MAX_ARGS 4096u
#define MAX_ARG_BYTES (1u << 20)
#define MAX_STDIN_BYTES (256u << 20)
#define MAX_OUTPUT_BYTES (64u << 20)

enum { ST_EXITED = 0, ST_SIGNALED = 1, ST_TIMED_OUT = 2, ST_NOT_STARTED = 3 };

typedef struct {
  char *data;
  size_t len, cap;
} buffer;

static int port = -1;
static int ever_connected = 0;
static int poweroff_on_disconnect = 0;

static void die(const char *what) {
  fprintf(stderr, "kpj-agent: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void append(buffer *b, const char *data, size_t n) {
  if (b->len + n > MAX_OUTPUT_BYTES) {
    n = MAX_OUTPUT_BYTES - b->len; /* keep the first 64 MiB, drop the rest */
  }
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    b->data = realloc(b->data, cap);
    if (!b->data) die("realloc");
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

/* The host went away: wait for the next one, or power off when asked to. */
static void host_gone(void) {
  if (ever_connected && poweroff_on_disconnect) {
    fprintf(stderr, "kpj-agent: host disconnected, powering off\n");
    sync();
    reboot(RB_POWER_OFF);
  }
  usleep(100 * 1000);
}

/* Reads exactly n bytes from the port; 0 when the host disconnected first. */
static int read_full(void *dst, size_t n) {
  char *p = dst;
  while (n > 0) {
    ssize_t r = read(port, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    ever_connected = 1;
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

static int read_u32(uint32_t *v) {
  unsigned char b[4];
  if (!read_full(b, 4)) return 0;
  *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
  return 1;
}

static void write_full(const void *src, size_t n) {
  const char *p = src;
  while (n > 0) {
    ssize_t w = write(port, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* host gone; the next read notices */
    p += w;
    n -= (size_t)w;
  }
}

static void write_u32(uint32_t v) {
  unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
  write_full(b, 4);
}

static void respond(uint32_t status, int32_t code, const buffer *out, const buffer *err) {
  write_u32(MAGIC);
  write_u32(status);
  write_u32((uint32_t)code);
  write_u32((uint32_t)out->len);
  write_full(out->data, out->len);
  write_u32((uint32_t)err->len);
  write_full(err->data, err->len);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Reads what is available from fd into b; returns 0 at end of file. */
static int drain(int fd, buffer *b) {
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r > 0) {
      append(b, chunk, (size_t)r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return 1;
    return 0;
  }
}

/*
 * Forks and execs argv in a new session; exec failures come back through a close-on-exec pipe.
 * Returns the pid, or -1 with *start_errno set.
 */
static pid_t spawn(char **argv, int in, int out, int err, int *start_errno) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) die("pipe2");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    setsid();
    signal(SIGPIPE, SIG_DFL);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvp(argv[0], argv);
    int e = errno;
    if (write(report[1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  close(report[1]);
  int e = 0;
  ssize_t r;
  do {
    r = read(report[0], &e, sizeof e);
  } while (r < 0 && errno == EINTR);
  close(report[0]);
  if (r == sizeof e) {
    waitpid(pid, NULL, 0);
    *start_errno = e;
    return -1;
  }
  return pid;
}

static void not_started(char **argv, int e) {
  buffer out = {0}, err = {0};
  char message[512];
  int n = snprintf(message, sizeof message, "kpj-agent: cannot run %s: %s\n", argv[0], strerror(e));
  append(&err, message, (size_t)n);
  respond(ST_NOT_STARTED, e, &out, &err);
  free(err.data);
}

static void run_detached(char **argv) {
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die("open /dev/null");
  int e = 0;
  pid_t pid = spawn(argv, devnull, devnull, devnull, &e);
  close(devnull);
  if (pid < 0) {
    not_started(argv, e);
    return;
  }
  buffer out = {0}, err = {0};
  char text[32];
  int n = snprintf(text, sizeof text, "%d", (int)pid);
  append(&out, text, (size_t)n);
  respond(ST_EXITED, 0, &out, &err);
  free(out.data);
}

static void run_waiting(char **argv, const char *input, size_t input_len, uint32_t timeout_ms) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    die("pipe2");
  }
  int e = 0;
  pid_t pid = spawn(argv, in[0], out[1], err[1], &e);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    not_started(argv, e);
    return;
  }
  int exited = (int)syscall(SYS_pidfd_open, pid, 0);
  if (exited < 0) die("pidfd_open");
  set_nonblocking(in[1]);
  set_nonblocking(out[0]);
  set_nonblocking(err[0]);
  int to_child = in[1], from_out = out[0], from_err = err[0];
  if (input_len == 0) {
    close(to_child);
    to_child = -1;
  }
  size_t written = 0;
  buffer captured_out = {0}, captured_err = {0};
  long long deadline = now_ms() + timeout_ms;
  int timed_out = 0, child_done = 0;
  while (!child_done || from_out >= 0 || from_err >= 0) {
    struct pollfd fds[4] = {
        {to_child, POLLOUT, 0}, {from_out, POLLIN, 0}, {from_err, POLLIN, 0}, {exited, POLLIN, 0}};
    long long left = deadline - now_ms();
    if (left <= 0 && !child_done) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      timed_out = 1;
      left = 0;
    }
    /* Once the child has exited, take what its pipes already hold; orphans may keep them open. */
    int wait_ms = child_done ? 0 : (int)(left > 1000 ? 1000 : left);
    if (!child_done && timed_out) wait_ms = 1000;
    if (exited < 0) fds[3].fd = -1;
    int ready = poll(fds, 4, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) die("poll");
    if (to_child >= 0 && fds[0].revents) {
      ssize_t w = write(to_child, input + written, input_len - written);
      if (w > 0) written += (size_t)w;
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
        close(to_child); /* done, or the child closed its stdin: EPIPE */
        to_child = -1;
      }
    }
    if (from_out >= 0 && fds[1].revents && !drain(from_out, &captured_out)) {
      close(from_out);
      from_out = -1;
    }
    if (from_err >= 0 && fds[2].revents && !drain(from_err, &captured_err)) {
      close(from_err);
      from_err = -1;
    }
    if (exited >= 0 && fds[3].revents) {
      child_done = 1;
      close(exited);
      exited = -1;
    }
    if (child_done && ready == 0) break;
  }
  if (to_child >= 0) close(to_child);
  if (from_out >= 0) close(from_out);
  if (from_err >= 0) close(from_err);
  if (exited >= 0) close(exited);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    respond(ST_TIMED_OUT, 0, &captured_out, &captured_err);
  } else if (WIFSIGNALED(status)) {
    respond(ST_SIGNALED, WTERMSIG(status), &captured_out, &captured_err);
  } else {
    respond(ST_EXITED, WEXITSTATUS(status), &captured_out, &captured_err);
  }
  free(captured_out.data);
  free(captured_err.data);
}

/* Reads one request and answers it; 0 when the host disconnected or sent garbage. */
static int serve_one(void) {
  uint32_t magic, flags, timeout_ms, argc, input_len;
  if (!read_u32(&magic)) return 0;
  if (magic != MAGIC) {
    fprintf(stderr, "kpj-agent: bad magic %08x, waiting for the host to reconnect\n", magic);
    return 0;
  }
  if (!read_u32(&flags) || !read_u32(&timeout_ms) || !read_u32(&argc)) return 0;
  if (argc == 0 || argc > MAX_ARGS) return 0;
  char **argv = calloc(argc + 1, sizeof *argv);
  char *input = NULL;
  int ok = 0;
  uint32_t i;
  for (i = 0; i < argc; i++) {
    uint32_t len;
    if (!read_u32(&len) || len > MAX_ARG_BYTES) goto done;
    argv[i] = malloc(len + 1);
    if (!read_full(argv[i], len)) goto done;
    argv[i][len] = '\0';
  }
  if (!read_u32(&input_len) || input_len > MAX_STDIN_BYTES) goto done;
  input = malloc(input_len + 1);
  if (!read_full(input, input_len)) goto done;
  if (flags & 1) {
    run_detached(argv);
  } else {
    run_waiting(argv, input, input_len, timeout_ms);
  }
  ok = 1;
done:
  for (i = 0; i < argc; i++) free(argv[i]);
  free(argv);
  free(input);
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: kpj-agent PORT_DEVICE [--poweroff-on-disconnect]\n");
    return 2;
  }
  poweroff_on_disconnect = argc > 2 && strcmp(argv[2], "--poweroff-on-disconnect") == 0;
  signal(SIGPIPE, SIG_IGN);
  port = open(argv[1], O_RDWR | O_CLOEXEC);
  if (port < 0) die(argv[1]);
  fprintf(stderr, "kpj-agent: serving %s\n", argv[1]);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
      /* reap detached commands and orphans */
    }
    if (!serve_one()) host_gone();
  }
}
