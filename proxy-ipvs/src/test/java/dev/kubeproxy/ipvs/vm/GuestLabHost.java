package dev.kubeproxy.ipvs.vm;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.CommandRunner;
import dev.kubeproxy.api.testing.lab.LabHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An IPVS VM's guest as a {@link LabHost}: the lab's namespaces are created in the guest, and each
 * namespace's agent runs {@code kpj-lab} there (scripts/ipvs-vm/lab.c) through the VM's {@link
 * CommandRunner}: {@code serve} starts a detached server and keeps its pid, a request batch is
 * one {@code kpj-lab tcp|udp ...} run whose output line is already in {@link
 * dev.kubeproxy.api.testing.lab.LabAgent}'s answer format.
 */
public final class GuestLabHost implements LabHost {
  private final CommandRunner guest;

  public GuestLabHost(IpvsVm vm) {
    this.guest = checkNotNull(vm, "vm").runner();
  }

  @Override
  public CommandRunner runner() {
    return guest;
  }

  @Override
  public Agent startAgent(String ns, String name) {
    return new GuestAgentInNamespace(guest, ns, name);
  }

  @Override
  public void kill(List<Long> pids) {
    if (pids.isEmpty()) {
      return;
    }
    List<String> argv = new ArrayList<>(List.of("kill", "-9"));
    pids.forEach(pid -> argv.add(String.valueOf(pid)));
    try {
      guest.run(Command.of(argv, null));
    } catch (CommandException e) {
      // Some were gone already; the namespace delete reports what really matters.
    }
  }

  @Override
  public boolean isLocal() {
    return false;
  }

  /** One namespace's {@code kpj-lab} servers (by protocol and port) and its client runs. */
  private static final class GuestAgentInNamespace implements Agent {
    private final CommandRunner guest;
    private final String ns;
    private final String name;
    private final Map<String, Long> servers = new ConcurrentHashMap<>();

    GuestAgentInNamespace(CommandRunner guest, String ns, String name) {
      this.guest = guest;
      this.ns = ns;
      this.name = name;
    }

    @Override
    public synchronized String call(String request) {
      String[] words = request.trim().split(" ");
      try {
        return switch (words[0]) {
          case "serve" -> serve(words[1], words[2]);
          case "unserve" -> unserve(words[1], words[2]);
          case "tcp", "udp" -> requests(words);
          default -> "err unknown command " + words[0];
        };
      } catch (CommandException | RuntimeException e) {
        return "err " + String.valueOf(e.getMessage()).replace('\n', ' ');
      }
    }

    private String serve(String protocol, String port) throws CommandException {
      String key = protocol + "/" + port;
      if (!servers.containsKey(key)) {
        String pid = lab("serve", name, protocol, port).strip();
        servers.put(key, Long.parseLong(pid));
      }
      return "ok";
    }

    private String unserve(String protocol, String port) throws CommandException {
      Long pid = servers.remove(protocol + "/" + port);
      if (pid == null) {
        return "err not serving " + protocol + "/" + port;
      }
      // Answer once the server has exited (a zombie holds no socket), so a new serve can bind.
      String gone = "kill -9 %1$d; i=0; while [ $i -lt 500 ] && [ -e /proc/%1$d ] && "
          + "! grep -q '^State:.*Z' /proc/%1$d/status 2>/dev/null; do usleep 10000; "
          + "i=$((i+1)); done";
      guest.run(Command.of("sh", "-c", String.format(gone, pid)));
      return "ok";
    }

    private String requests(String[] words) throws CommandException {
      // tcp|udp SRC SRCPORT DST PORT TIMEOUT_MS COUNT: twice each request's timeout, and more.
      long perRequest = Long.parseLong(words[5]);
      long count = Long.parseLong(words[6]);
      Duration timeout = Duration.ofMillis(2 * perRequest * count).plusSeconds(30);
      List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "kpj-lab"));
      argv.addAll(List.of(words));
      return guest.run(Command.of(argv, null).withTimeout(timeout)).stdout().strip();
    }

    private String lab(String... args) throws CommandException {
      List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "kpj-lab"));
      argv.addAll(List.of(args));
      return guest.run(Command.of(argv, null)).stdout();
    }

    @Override
    public void close() {
      List<String> argv = new ArrayList<>(List.of("kill", "-9"));
      servers.values().forEach(pid -> argv.add(String.valueOf(pid)));
      servers.clear();
      if (argv.size() > 2) {
        try {
          guest.run(Command.of(argv, null));
        } catch (CommandException | RuntimeException e) {
          // Gone already, or the VM is: the namespace delete (or the VM's end) ends them.
        }
      }
    }
  }
}
