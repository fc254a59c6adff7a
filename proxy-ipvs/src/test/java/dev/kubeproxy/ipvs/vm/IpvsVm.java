package dev.kubeproxy.ipvs.vm;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableList;
import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandRunner;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A QEMU virtual machine running Debian's cloud kernel, which has IP_VS, for IPVS kernel tests
 * on a host kernel without it. The JVM stays on the host; commands run in the guest through
 * {@link #runner()}.
 *
 * <p>QEMU emulates the CPU (TCG: {@code -enable-kvm} aborts on this kind of host) and has no
 * network device at all: the only channel is a virtio-serial port backed by a UNIX socket in a
 * private temporary directory, so no packet can pass between the guest and the host.
 *
 * <p>Every VM ends: {@link #close()} kills QEMU (call it when the test ends, also on failure);
 * a watchdog kills it after {@code maxLifetime}; a JVM shutdown hook kills what is left; and
 * should the JVM die without running hooks, the guest agent powers the VM off as soon as its
 * socket connection closes.
 */
public final class IpvsVm implements AutoCloseable {
  /** How long QEMU may take from start to a working agent (about 10 s on 2 idle cores). */
  public static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);
  /** The longest a VM may live before the watchdog kills it. */
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofMinutes(10);

  private static final Set<IpvsVm> OPEN = ConcurrentHashMap.newKeySet();
  private static final ScheduledExecutorService LIFETIME =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread t = new Thread(runnable, "ipvs-vm-lifetime");
            t.setDaemon(true);
            return t;
          });

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> List.copyOf(OPEN).forEach(IpvsVm::close), "ipvs-vm-reaper"));
  }

  private final Process qemu;
  private final Path workDir;
  private final AtomicBoolean closed = new AtomicBoolean();
  private ScheduledFuture<?> lifetime;
  private volatile GuestAgent agent;
  private volatile Duration bootTime = Duration.ZERO;

  private IpvsVm(Process qemu, Path workDir) {
    this.qemu = qemu;
    this.workDir = workDir;
    OPEN.add(this);
  }

  /** Boots a VM that lives at most {@link #DEFAULT_MAX_LIFETIME}. */
  public static IpvsVm boot() throws IOException, InterruptedException {
    return boot(VmImage.build(), DEFAULT_MAX_LIFETIME);
  }

  /** Boots {@code image} and waits until its agent answers; killed after {@code maxLifetime}. */
  public static IpvsVm boot(VmImage image, Duration maxLifetime)
      throws IOException, InterruptedException {
    checkNotNull(image, "image");
    checkArgument(!maxLifetime.isNegative() && !maxLifetime.isZero(), "maxLifetime must be > 0");
    Path workDir = Files.createTempDirectory("kpj-ipvsvm-");
    long start = System.nanoTime();
    Process qemu;
    try {
      qemu =
          new ProcessBuilder(qemuArgv(image, workDir))
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectErrorStream(true)
              .redirectOutput(workDir.resolve("qemu.log").toFile())
              .start();
    } catch (IOException e) {
      MoreFiles.deleteRecursively(workDir, RecursiveDeleteOption.ALLOW_INSECURE);
      throw new IOException("cannot start qemu-system-x86_64: " + e.getMessage(), e);
    }
    IpvsVm vm = new IpvsVm(qemu, workDir);
    vm.killAfter(maxLifetime);
    try {
      vm.connect(start + BOOT_TIMEOUT.toNanos());
      vm.bootTime = Duration.ofNanos(System.nanoTime() - start);
      return vm;
    } catch (IOException | InterruptedException | RuntimeException e) {
      String diagnosis = vm.diagnosis();
      vm.close();
      throw new IOException("the IPVS VM did not come up: " + e.getMessage() + diagnosis, e);
    }
  }

  /** The QEMU command line: emulated CPU, no network device, one virtio-serial port. */
  static ImmutableList<String> qemuArgv(VmImage image, Path workDir) {
    String socket = workDir.resolve("agent.sock").toString();
    checkArgument(!socket.contains(","), "QEMU option values cannot hold a comma: %s", socket);
    return ImmutableList.of(
        "qemu-system-x86_64",
        "-name", "kpj-ipvs-vm",
        "-m", "1024",
        "-smp", "2",
        "-cpu", "max",
        "-accel", "tcg,thread=multi",
        "-nodefaults",
        "-no-user-config",
        "-nic", "none",
        "-display", "none",
        "-no-reboot",
        "-serial", "file:" + workDir.resolve("console.log"),
        "-kernel", image.kernel().toString(),
        "-initrd", image.initramfs().toString(),
        "-append", "console=ttyS0 panic=-1 quiet kpj.poweroff_on_disconnect",
        "-device", "virtio-serial-pci",
        "-chardev", "socket,id=agent,path=" + socket + ",server=on,wait=off",
        "-device", "virtserialport,chardev=agent,name=kpj.agent");
  }

  /** Connects to QEMU's socket, then waits for the agent to run {@code true}. */
  private void connect(long deadlineNanos) throws IOException, InterruptedException {
    Path socket = workDir.resolve("agent.sock");
    SocketChannel channel = null;
    while (channel == null) {
      if (!qemu.isAlive()) {
        throw new IOException("qemu exited with " + qemu.exitValue());
      }
      if (System.nanoTime() > deadlineNanos) {
        throw new IOException("no agent socket within " + BOOT_TIMEOUT);
      }
      if (Files.exists(socket)) {
        SocketChannel candidate = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
          candidate.connect(UnixDomainSocketAddress.of(socket));
          channel = candidate;
        } catch (IOException e) {
          candidate.close(); // QEMU has bound but not yet listens
        }
      }
      if (channel == null) {
        Thread.sleep(20);
      }
    }
    agent = GuestAgent.over(channel);
    Duration left = Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    // QEMU holds the request until the guest opens its port, so this waits for the whole boot.
    AgentReply reply = agent.run(Command.of("true"), left);
    if (reply.status() != AgentReply.Status.EXITED || reply.code() != 0) {
      throw new IOException("the agent could not run 'true': " + reply);
    }
  }

  /** (Re)arms the watchdog: the VM is killed {@code delay} from now unless closed before. */
  public synchronized void killAfter(Duration delay) {
    checkNotNull(delay, "delay");
    if (lifetime != null) {
      lifetime.cancel(false);
    }
    lifetime =
        LIFETIME.schedule(
            () -> {
              // Test harness: say it loudly on stderr, whatever logger the module has.
              System.err.printf("IpvsVm: qemu %d outlived its lifetime; killing it%n", qemu.pid());
              close();
            },
            delay.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** Runs commands in the guest (its root network namespace, as root). */
  public CommandRunner runner() {
    return new VmCommandRunner(agent);
  }

  /**
   * Starts a long-running guest process (a test server) in its own session with no stdio.
   *
   * @return its guest pid, for {@code kill}
   */
  public long start(Command command) throws IOException {
    return agent.start(command);
  }

  /** The agent itself, for tests that need raw output bytes. */
  GuestAgent agent() {
    return agent;
  }

  /** The time from starting QEMU to the agent's first answer. */
  public Duration bootTime() {
    return bootTime;
  }

  /** QEMU's process, to watch it end. */
  ProcessHandle process() {
    return qemu.toHandle();
  }

  /** QEMU's exit value; only once it has ended. */
  int exitValue() {
    return qemu.exitValue();
  }

  /** The private directory holding the agent socket and the logs. */
  Path workDir() {
    return workDir;
  }

  /** Whether QEMU is still running. */
  public boolean isAlive() {
    return qemu.isAlive();
  }

  /** The last lines of the guest console and of QEMU's own output, for error messages. */
  private String diagnosis() {
    StringBuilder text = new StringBuilder();
    for (String name : List.of("console.log", "qemu.log")) {
      try {
        List<String> lines = Files.readAllLines(workDir.resolve(name), StandardCharsets.UTF_8);
        if (!lines.isEmpty()) {
          text.append("\n--- ").append(name).append(" (tail) ---\n");
          text.append(String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
      } catch (IOException e) {
        // Not written yet: nothing to show.
      }
    }
    return text.toString();
  }

  /** Kills QEMU and deletes the VM's temporary directory; safe to call more than once. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (lifetime != null) {
        lifetime.cancel(false);
      }
    }
    GuestAgent current = agent;
    if (current != null) {
      current.close();
    }
    qemu.destroyForcibly();
    try {
      if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
        System.err.printf("IpvsVm: qemu %d did not exit within 10 s of SIGKILL%n", qemu.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      MoreFiles.deleteRecursively(workDir, RecursiveDeleteOption.ALLOW_INSECURE);
    } catch (IOException e) {
      System.err.printf("IpvsVm: cannot delete %s: %s%n", workDir, e.getMessage());
    }
    OPEN.remove(this);
  }
}
