package dev.kubeproxy.api.testing.lab;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import dev.kubeproxy.api.IpAddress;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The outcome of one lab client request: an answer {@code NAME SOURCE-IP} from an endpoint
 * server, or the typed way it failed.
 */
public record Reply(Outcome outcome, String text) {
  private static final Pattern SOURCE_PORT = Pattern.compile(" src=\\S*:(\\d+) at=");
  private static final Pattern DURATION = Pattern.compile(" took=(\\d+)ms t=(\\d+)");

  /** How a request ended. */
  public enum Outcome {
    /** A server answered; {@link #text()} is its {@code NAME SOURCE-IP} line. */
    ANSWERED,
    /** TCP RST or ICMP port unreachable: something rejected the request. */
    REFUSED,
    /** No answer within the timeout: the request or its answer was dropped. */
    TIMEOUT,
    /** The connection was reset after it was established. */
    RESET,
    /** ICMP host/network unreachable or administratively prohibited, or no route. */
    UNREACHABLE,
    /** Anything else; {@link #text()} holds the exception. */
    ERROR
  }

  public Reply {
    checkArgument(outcome != null && text != null, "outcome and text are required");
  }

  /** Parses the agent's {@code OUTCOME|TEXT} encoding. */
  static Reply decode(String encoded) {
    int bar = encoded.indexOf('|');
    checkArgument(bar > 0, "not a reply: %s", encoded);
    return new Reply(Outcome.valueOf(encoded.substring(0, bar)), encoded.substring(bar + 1));
  }

  public boolean answered() {
    return outcome == Outcome.ANSWERED;
  }

  /**
   * The client's source port a failed request's text names ({@code src=ADDRESS:PORT}, see {@link
   * LabAgent}); empty for answers and when the agent did not know it.
   */
  public OptionalInt sourcePort() {
    if (answered()) {
      return OptionalInt.empty();
    }
    Matcher m = SOURCE_PORT.matcher(text);
    return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }

  /**
   * When a failed request started and how long it took, from its text ({@code took=MSms
   * t=EPOCH_MS}, see {@link LabAgent}): {@code [start, end]} in epoch milliseconds; empty for
   * answers and texts without them.
   */
  public Optional<long[]> failedDuring() {
    if (answered()) {
      return Optional.empty();
    }
    Matcher m = DURATION.matcher(text);
    if (!m.find()) {
      return Optional.empty();
    }
    long start = Long.parseLong(m.group(2));
    return Optional.of(new long[] {start, start + Long.parseLong(m.group(1))});
  }

  /** The name of the server that answered. */
  public String serverName() {
    return words()[0];
  }

  /** The source address the server saw: the client's own, or the one it was NATed to. */
  public IpAddress seenSource() {
    return IpAddress.parse(words()[1]);
  }

  private String[] words() {
    checkState(answered(), "no answer: %s", this);
    String[] words = text.split(" ");
    checkState(words.length == 2, "malformed answer: %s", text);
    return words;
  }

  @Override
  public String toString() {
    return outcome + (text.isEmpty() ? "" : " (" + text + ")");
  }
}
