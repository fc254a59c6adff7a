package dev.kubeproxy.model.trace;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import java.util.Locale;
import java.util.Objects;

/**
 * What the rules do with a {@link Packet}: the verdict, the service port and frontend it
 * matched (null when none), for {@link Verdict#FORWARD} the endpoints it may reach with their
 * probabilities, whether it is masqueraded, and the reasons as short human-readable lines.
 *
 * <p>{@code masqueraded} is the decision for every path except hairpin ones: a path whose
 * endpoint is the packet's own source is always masqueraded, see {@link Destination}.
 */
public record TraceResult(
    Packet packet,
    Verdict verdict,
    ServicePortKey service,
    Frontend frontend,
    ImmutableList<Destination> destinations,
    boolean masqueraded,
    SessionAffinity affinity,
    ImmutableList<String> reasons) {

  /** The fate of a packet. */
  public enum Verdict {
    /** DNATed to one of {@code destinations}. */
    FORWARD,
    /** Silently dropped (Local policy without local endpoints, or a source-range miss). */
    DROP,
    /** Rejected: ICMP port unreachable / TCP reset. */
    REJECT,
    /** No service frontend matches: the kernel routes it normally, without NAT. */
    NOT_A_SERVICE
  }

  /** One endpoint a forwarded packet may reach, the chance it does, and whether it is SNATed. */
  public record Destination(ServiceEndpoint endpoint, double probability, boolean masqueraded) {
    public Destination {
      Objects.requireNonNull(endpoint, "endpoint");
      checkArgument(probability > 0 && probability <= 1, "probability %s", probability);
    }
  }

  public TraceResult {
    Objects.requireNonNull(packet, "packet");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(destinations, "destinations");
    Objects.requireNonNull(affinity, "affinity");
    Objects.requireNonNull(reasons, "reasons");
    checkArgument(
        (verdict == Verdict.FORWARD) == !destinations.isEmpty(),
        "FORWARD, and only FORWARD, has destinations");
    checkArgument(verdict == Verdict.FORWARD || !masqueraded, "only FORWARD can masquerade");
  }

  /** The endpoints the packet may reach, in load-balancing order (empty unless FORWARD). */
  public ImmutableList<ServiceEndpoint> reachableEndpoints() {
    return destinations.stream().map(Destination::endpoint).collect(ImmutableList.toImmutableList());
  }

  /** A multi-line explanation: the packet, the verdict, the reasons and each destination. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append(packet).append('\n');
    out.append("verdict: ").append(verdict).append('\n');
    for (String reason : reasons) {
      out.append("  ").append(reason).append('\n');
    }
    for (Destination d : destinations) {
      out.append("  -> ").append(d.endpoint());
      if (d.endpoint().local()) {
        out.append(" (local)");
      }
      if (d.endpoint().terminating()) {
        out.append(" (terminating)");
      }
      out.append(String.format(Locale.ROOT, " p=%.4f", d.probability()));
      if (d.masqueraded() != masqueraded) {
        out.append(" masquerade: yes (hairpin)");
      }
      out.append('\n');
    }
    return out.toString();
  }
}
