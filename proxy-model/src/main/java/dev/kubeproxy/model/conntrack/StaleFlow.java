package dev.kubeproxy.model.conntrack;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.Command;
import java.util.Comparator;
import java.util.Objects;

/**
 * UDP conntrack entries a sync left pointing nowhere, which the kernel would otherwise keep
 * using until they time out: flows to a service IP and port ({@code serviceIp} set) or to a
 * NodePort on any node address ({@code serviceIp} null) whose reply source is {@code endpoint},
 * an endpoint that no longer serves that frontend.
 *
 * <p>{@code endpoint} null means the opposite case: the frontend had no endpoint before and has
 * one now, so flows to it that were never DNATed (created while nothing served it) must go.
 */
public record StaleFlow(
    IpFamily family, Protocol protocol, IpAddress serviceIp, int port, IpAddress endpoint)
    implements Comparable<StaleFlow> {
  private static final Comparator<IpAddress> NULLS_FIRST =
      Comparator.nullsFirst(Comparator.naturalOrder());
  private static final Comparator<StaleFlow> ORDER =
      Comparator.comparing(StaleFlow::family)
          .thenComparing(StaleFlow::serviceIp, NULLS_FIRST)
          .thenComparingInt(StaleFlow::port)
          .thenComparing(StaleFlow::endpoint, NULLS_FIRST);

  public StaleFlow {
    Objects.requireNonNull(family, "family");
    checkArgument(protocol == Protocol.UDP, "only UDP flows are cleaned, not %s", protocol);
    checkArgument(port >= 1 && port <= 65535, "port %s is outside 1..65535", port);
    checkArgument(serviceIp == null || serviceIp.family() == family, "serviceIp family");
    checkArgument(endpoint == null || endpoint.family() == family, "endpoint family");
  }

  /** Flows to {@code serviceIp:port} answered by {@code endpoint}. */
  public static StaleFlow toServiceIp(IpAddress serviceIp, int port, IpAddress endpoint) {
    return new StaleFlow(serviceIp.family(), Protocol.UDP, serviceIp, port, endpoint);
  }

  /** Flows to NodePort {@code port} answered by {@code endpoint}. */
  public static StaleFlow toNodePort(IpFamily family, int port, IpAddress endpoint) {
    return new StaleFlow(family, Protocol.UDP, null, port, endpoint);
  }

  public boolean nodePort() {
    return serviceIp == null;
  }

  /** Whether this targets never-DNATed flows rather than those of a gone endpoint. */
  public boolean notNated() {
    return endpoint == null;
  }

  /**
   * The {@code conntrack} argument vector that deletes these flows. A never-DNATed flow to a
   * service IP answers from that IP; one to a NodePort answers from the NodePort itself.
   */
  public ImmutableList<String> argv() {
    ImmutableList.Builder<String> argv = ImmutableList.builder();
    argv.add("conntrack", "-D", "-f", family == IpFamily.V4 ? "ipv4" : "ipv6");
    argv.add("-p", protocol.lowerName());
    if (serviceIp != null) {
      argv.add("--orig-dst", serviceIp.toString());
    }
    argv.add("--orig-port-dst", Integer.toString(port));
    if (endpoint != null) {
      argv.add("--reply-src", endpoint.toString());
    } else if (serviceIp != null) {
      argv.add("--reply-src", serviceIp.toString());
    } else {
      argv.add("--reply-port-src", Integer.toString(port));
    }
    return argv.build();
  }

  /** {@link #argv()} as a command for a {@code CommandRunner}. */
  public Command command() {
    return new Command(argv(), null, null);
  }

  @Override
  public int compareTo(StaleFlow o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    String target = serviceIp == null ? "NodePort " + port : serviceIp.withPort(port);
    return protocol + " " + target + " -> " + (endpoint == null ? "(not DNATed)" : endpoint);
  }
}
