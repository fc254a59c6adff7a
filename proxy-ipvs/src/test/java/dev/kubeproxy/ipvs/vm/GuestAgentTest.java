package dev.kubeproxy.ipvs.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The host side of the agent's wire format, against a scripted agent on a UNIX socket. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GuestAgentTest {
  @TempDir Path dir;

  private ServerSocketChannel server;
  private GuestAgent agent;
  private SocketChannel agentSide;

  @BeforeEach
  void connect() throws IOException {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("agent.sock"));
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
    SocketChannel hostSide = SocketChannel.open(address);
    agentSide = server.accept();
    agent = GuestAgent.over(hostSide);
  }

  @AfterEach
  void close() throws IOException {
    agent.close();
    agentSide.close();
    server.close();
  }

  @Test
  void requestCarriesArgvStdinTimeoutAndFlags() throws Exception {
    byte[] stdin = {0, 1, (byte) 0xff, '\n', 0};
    Command command =
        Command.of(List.of("ipvsadm", "", "-R", "ümlaut"), stdin).withTimeout(Duration.ofSeconds(7));

    Request request = Request.read(new ByteArrayInputStream(GuestAgent.encodeRequest(command, true)));

    assertThat(request.flags).isEqualTo(GuestAgent.FLAG_DETACH);
    assertThat(request.timeoutMillis).isEqualTo(7000);
    assertThat(request.argv).containsExactly("ipvsadm", "", "-R", "ümlaut");
    assertThat(request.stdin).isEqualTo(stdin);
  }

  @Test
  void runnerReturnsOutputOfASuccessfulCommand() throws Exception {
    CompletableFuture<Request> seen = answer(AgentReply.Status.EXITED, 0, "out\n", "warn\n");

    var result = new VmCommandRunner(agent).run(Command.of("ipvsadm", "-Ln"));

    assertThat(seen.get().argv).containsExactly("ipvsadm", "-Ln");
    assertThat(result.stdout()).isEqualTo("out\n");
    assertThat(result.stderr()).isEqualTo("warn\n");
  }

  @Test
  void runnerTurnsEveryOtherOutcomeIntoACommandException() throws Exception {
    VmCommandRunner runner = new VmCommandRunner(agent);
    answer(AgentReply.Status.EXITED, 2, "", "no such service\n");
    assertThatThrownBy(() -> runner.run(Command.of("ipvsadm", "-D", "-t", "10.0.0.1:80")))
        .isInstanceOfSatisfying(
            CommandException.class,
            e -> {
              assertThat(e.exitCode()).isEqualTo(2);
              assertThat(e.stderr()).isEqualTo("no such service\n");
            });
    answer(AgentReply.Status.SIGNALED, 9, "", "");
    assertThatThrownBy(() -> runner.run(Command.of("sleep", "1")))
        .isInstanceOfSatisfying(
            CommandException.class, e -> assertThat(e.exitCode()).isEqualTo(137));
    answer(AgentReply.Status.TIMED_OUT, 0, "", "");
    assertThatThrownBy(() -> runner.run(Command.of("sleep", "1")))
        .hasMessageContaining("timed out");
    answer(AgentReply.Status.NOT_STARTED, 2, "", "kpj-agent: cannot run x: No such file\n");
    assertThatThrownBy(() -> runner.run(Command.of("x")))
        .hasMessageContaining("could not start: kpj-agent: cannot run x");
  }

  @Test
  void startReturnsTheGuestPid() throws Exception {
    CompletableFuture<Request> seen = answer(AgentReply.Status.EXITED, 0, "4242", "");

    assertThat(agent.start(Command.of("socat", "TCP-LISTEN:80", "SYSTEM:echo a"))).isEqualTo(4242);
    assertThat(seen.get().flags).isEqualTo(GuestAgent.FLAG_DETACH);
  }

  @Test
  void aMissingReplyClosesTheChannelAfterTheTimeout() {
    assertThatThrownBy(() -> agent.run(Command.of("true"), Duration.ofMillis(200)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no reply from the guest agent within PT0.2S");
    assertThatThrownBy(() -> agent.run(Command.of("true")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void malformedRepliesAreRejected() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream reply = new DataOutputStream(bytes);
    reply.writeInt(0x12345678);
    assertThatThrownBy(() -> GuestAgent.decodeReply(stream(bytes.toByteArray())))
        .hasMessageContaining("bad reply magic 12345678");

    bytes.reset();
    reply.writeInt(GuestAgent.MAGIC);
    reply.writeInt(0);
    reply.writeInt(0);
    reply.writeInt(10);
    reply.write(new byte[3]); // stdout cut short
    assertThatThrownBy(() -> GuestAgent.decodeReply(stream(bytes.toByteArray())))
        .isInstanceOf(EOFException.class);
  }

  private static DataInputStream stream(byte[] bytes) {
    return new DataInputStream(new ByteArrayInputStream(bytes));
  }

  /** Reads the next request on the agent side and answers it with the given reply. */
  private CompletableFuture<Request> answer(
      AgentReply.Status status, int code, String stdout, String stderr) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Request request = Request.read(Channels.newInputStream(agentSide));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(agentSide));
            out.writeInt(GuestAgent.MAGIC);
            out.writeInt(status.ordinal());
            out.writeInt(code);
            for (String block : List.of(stdout, stderr)) {
              byte[] utf8 = block.getBytes(StandardCharsets.UTF_8);
              out.writeInt(utf8.length);
              out.write(utf8);
            }
            out.flush();
            return request;
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** A request frame as the agent (agent.c) parses it. */
  private static final class Request {
    int flags;
    int timeoutMillis;
    final List<String> argv = new ArrayList<>();
    byte[] stdin;

    static Request read(InputStream stream) throws IOException {
      DataInputStream in = new DataInputStream(stream);
      assertThat(in.readInt()).isEqualTo(GuestAgent.MAGIC);
      Request request = new Request();
      request.flags = in.readInt();
      request.timeoutMillis = in.readInt();
      int argc = in.readInt();
      for (int i = 0; i < argc; i++) {
        byte[] arg = new byte[in.readInt()];
        in.readFully(arg);
        request.argv.add(new String(arg, StandardCharsets.UTF_8));
      }
      request.stdin = new byte[in.readInt()];
      in.readFully(request.stdin);
      return request;
    }
  }
}
