/*
 * cputime [--parent] CMD ARGS...: runs CMD, and when it has exited (still a zombie, so
 * /proc/PID/stat holds its final counters) prints one line, to the file $CPUTIME_LOG (appended)
 * or else to stderr:
 *   cputime cmd=NAME arg=FIRST start_ns=N end_ns=N user_ms=N sys_ms=N children_user_ms=N
 *           children_sys_ms=N maxrss_kib=N parent_user_ms=N parent_sys_ms=N parent_children_ms=N
 *           parent_hwm_kib=N
 * start/end are CLOCK_MONOTONIC; user/sys are CMD's own threads; children_* are the processes
 * CMD waited for; maxrss is the larger of CMD's and its children's peak RSS; parent_* (with
 * --parent, when cputime wraps a tool a process runs) is that process's own CPU at CMD's exit,
 * parent_children_ms the CPU of the children it had reaped by then, parent_hwm_kib its peak RSS.
 * SIGTERM and SIGINT are passed on to CMD. Exits with CMD's status.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* utime, stime, cutime, cstime (fields 14-17 of /proc/PID/stat) in ms; zeros if unreadable. */
static void stat_ms(pid_t pid, double out[4]) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  memset(out, 0, 4 * sizeof out[0]);
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p) return;
  double tick_ms = 1000.0 / sysconf(_SC_CLK_TCK);
  int field = 3; /* the state, after ") " */
  char *save = NULL;
  for (char *tok = strtok_r(p + 2, " ", &save); tok && field <= 17;
       tok = strtok_r(NULL, " ", &save), field++) {
    if (field >= 14) out[field - 14] = strtoull(tok, NULL, 10) * tick_ms;
  }
}

static volatile pid_t child;

/* SIGTERM/SIGINT go on to CMD, and cputime still reports when CMD has exited. */
static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

/* VmHWM of pid in KiB (its peak RSS so far), or 0. */
static long hwm_kib(pid_t pid) {
  char path[64], line[256];
  long kib = 0;
  snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  }
  fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  int first = 1, parent = 0;
  if (argc > 1 && strcmp(argv[1], "--parent") == 0) {
    parent = 1;
    first = 2;
  }
  if (argc <= first) {
    fprintf(stderr, "usage: cputime [--parent] CMD ARGS...\n");
    return 2;
  }
  pid_t ppid = getppid();
  long long start = now_ns();
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = forward;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    execvp(argv[first], argv + first);
    perror("execvp");
    _exit(127);
  }
  child = pid;
  siginfo_t info;
  int waited;
  while ((waited = waitid(P_PID, pid, &info, WEXITED | WNOWAIT)) != 0 && errno == EINTR) {
  }
  if (waited != 0) {
    perror("waitid");
    return 2;
  }
  long long end = now_ns();
  double own[4], up[4] = {0, 0, 0, 0};
  stat_ms(pid, own);
  long parent_hwm = 0;
  if (parent) {
    stat_ms(ppid, up);
    parent_hwm = hwm_kib(ppid);
  }
  int status;
  struct rusage usage;
  wait4(pid, &status, 0, &usage);
  const char *name = strrchr(argv[first], '/') ? strrchr(argv[first], '/') + 1 : argv[first];
  const char *arg = argc > first + 1 ? argv[first + 1] : "";
  const char *log = getenv("CPUTIME_LOG");
  FILE *out = log && *log ? fopen(log, "a") : NULL;
  fprintf(out ? out : stderr,
      "cputime cmd=%s arg=%s start_ns=%lld end_ns=%lld user_ms=%.0f sys_ms=%.0f"
      " children_user_ms=%.0f children_sys_ms=%.0f maxrss_kib=%ld parent_user_ms=%.0f"
      " parent_sys_ms=%.0f parent_children_ms=%.0f parent_hwm_kib=%ld\n",
      name, arg, start, end, own[0], own[1], own[2], own[3], usage.ru_maxrss, up[0], up[1], up[2] + up[3], parent_hwm);
  if (out) fclose(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
