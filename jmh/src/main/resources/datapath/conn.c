/*
 * Data-path load for KernelBenchmark --datapath: one process, no process start per connection.
 *   conn server PORT             accept and close connections until killed
 *   conn client ADDR PORT MILLIS connect + close (RST, so no TIME_WAIT) in a loop for MILLIS
 *                                or at most 2,000,000 connections; prints
 *                                "<ok> <failed> <elapsed ns>"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int server(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(s, (struct sockaddr *) &a, sizeof a) != 0 || listen(s, 4096) != 0) {
    perror("bind/listen");
    return 1;
  }
  printf("listening\n");
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c >= 0) {
      close(c);
    }
  }
}

static int client(const char *addr, int port, long millis) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
    fprintf(stderr, "bad address %s\n", addr);
    return 2;
  }
  struct linger reset = {.l_onoff = 1, .l_linger = 0};
  long long start = now_ns();
  long long end = start + millis * 1000000LL;
  long ok = 0, failed = 0;
  long long t = start;
  while (t < end && ok + failed < 2000000) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    struct timeval timeout = {.tv_sec = 1};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(s, (struct sockaddr *) &a, sizeof a) == 0) {
      ok++;
    } else {
      failed++;
    }
    close(s);
    t = now_ns();
  }
  printf("%ld %ld %lld\n", ok, failed, t - start);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) {
    return server(atoi(argv[2]));
  }
  if (argc == 5 && strcmp(argv[1], "client") == 0) {
    return client(argv[2], atoi(argv[3]), atol(argv[4]));
  }
  fprintf(stderr, "usage: conn server PORT | conn client ADDR PORT MILLIS\n");
  return 2;
}
