package dev.kubeproxy.ipvs.vm;

import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.command.Command;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The host end of the guest agent's wire format (scripts/ipvs-vm/agent.c): sends one command at
 * a time over a connected channel and reads the reply, closing the channel when the reply does
 * not come within the command's timeout plus a grace period, so a wedged VM fails fast.
 */
public final class GuestAgent implements AutoCloseable {
  static final int MAGIC = 0x4b504a31; // "KPJ1"
  static final int FLAG_DETACH = 1;
  /** Added to each command's own timeout: the agent enforces that one, emulation is slow. */
  static final Duration GRACE = Duration.ofSeconds(30);

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread t = new Thread(runnable, "guest-agent-watchdog");
            t.setDaemon(true);
            return t;
          });

  private final SocketChannel channel;
  private final DataOutputStream out;
  private final DataInputStream in;

  private GuestAgent(SocketChannel channel) {
    this.channel = channel;
    this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
    this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
  }

  /** An agent reached over {@code channel}, which must be connected and blocking. */
  public static GuestAgent over(SocketChannel channel) {
    checkNotNull(channel, "channel");
    return new GuestAgent(channel);
  }

  /** Runs {@code command} and waits for it (at most its timeout plus {@link #GRACE}). */
  public AgentReply run(Command command) throws IOException {
    return exchange(command, false, command.timeout().plus(GRACE));
  }

  /** Like {@link #run} but never waits longer than {@code replyTimeout} for the reply. */
  public AgentReply run(Command command, Duration replyTimeout) throws IOException {
    return exchange(command, false, replyTimeout);
  }

  /**
   * Starts {@code command} in its own session with no stdio and returns at once.
   *
   * @return the guest pid of the started process
   */
  public long start(Command command) throws IOException {
    AgentReply reply = exchange(command, true, command.timeout().plus(GRACE));
    if (reply.status() != AgentReply.Status.EXITED) {
      throw new IOException("could not start '" + command + "': " + reply.stderrText().strip());
    }
    return Long.parseLong(reply.stdoutText().strip());
  }

  private synchronized AgentReply exchange(Command command, boolean detach, Duration replyTimeout)
      throws IOException {
    if (!channel.isOpen()) {
      throw new IOException("the guest agent's channel is closed");
    }
    // Set before the watchdog closes the channel: the blocked read may wake before the
    // watchdog's future counts as done.
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> watchdog =
        WATCHDOG.schedule(
            () -> {
              timedOut.set(true);
              close();
            },
            replyTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      out.write(encodeRequest(command, detach));
      out.flush();
      return decodeReply(in);
    } catch (IOException e) {
      close(); // a half-read reply leaves the stream unusable
      if (timedOut.get()) {
        throw new IOException("no reply from the guest agent within " + replyTimeout, e);
      }
      throw e;
    } finally {
      watchdog.cancel(false);
    }
  }

  /** The request frame for {@code command}. */
  static byte[] encodeRequest(Command command, boolean detach) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream frame = new DataOutputStream(bytes);
    try {
      frame.writeInt(MAGIC);
      frame.writeInt(detach ? FLAG_DETACH : 0);
      frame.writeInt((int) Math.min(Integer.MAX_VALUE, command.timeout().toMillis()));
      frame.writeInt(command.argv().size());
      for (String arg : command.argv()) {
        byte[] utf8 = arg.getBytes(StandardCharsets.UTF_8);
        frame.writeInt(utf8.length);
        frame.write(utf8);
      }
      frame.writeInt(command.stdin().length);
      frame.write(command.stdin());
    } catch (IOException e) {
      throw new AssertionError("a byte array stream does not fail", e);
    }
    return bytes.toByteArray();
  }

  /** Reads one reply frame. */
  static AgentReply decodeReply(DataInputStream in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format("bad reply magic %08x from the guest agent", magic));
    }
    AgentReply.Status status = AgentReply.Status.fromWire(in.readInt());
    int code = in.readInt();
    byte[] stdout = readBlock(in);
    byte[] stderr = readBlock(in);
    return new AgentReply(status, code, stdout, stderr);
  }

  private static byte[] readBlock(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > (64 << 20)) {
      throw new IOException("bad block length " + length + " from the guest agent");
    }
    byte[] block = new byte[length];
    in.readFully(block);
    return block;
  }

  /** Closes the channel; a command waiting for its reply fails. */
  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing is best effort; the VM is being torn down.
    }
  }
}
