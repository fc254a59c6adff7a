package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EndpointPort;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.api.SliceEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges a service's EndpointSlices of one family into one endpoint list per service port, as
 * upstream's endpoint-slice cache does: a slice port serves the service port with the same name
 * and protocol, and an {@code ip:port} that appears more than once is kept once.
 */
final class MergedEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(MergedEndpoints.class);

  /** One distinct endpoint of a service port, with the slice endpoint it came from. */
  record Merged(SliceEndpoint source, ServiceEndpoint endpoint) {
    boolean ready() {
      return source.ready();
    }

    boolean servingTerminating() {
      return source.serving() && source.terminating();
    }

    boolean local() {
      return endpoint.local();
    }

    /** This endpoint as a terminating fallback. */
    ServiceEndpoint asTerminating() {
      return new ServiceEndpoint(endpoint.address(), endpoint.port(), endpoint.local(),
          endpoint.otherNode(), true);
    }
  }

  private final List<EndpointSlice> slices;
  private final String nodeName;

  private MergedEndpoints(List<EndpointSlice> slices, String nodeName) {
    this.slices = slices;
    this.nodeName = nodeName;
  }

  /**
   * The slices of {@code service} in {@code family} that kube-proxy reads (its informers skip
   * slices labelled for another proxy or as headless), in slice-name order; warns once about each
   * slice port that serves no port of the service.
   */
  static MergedEndpoints of(
      Service service, Collection<EndpointSlice> all, IpFamily family, String nodeName) {
    List<EndpointSlice> slices = new ArrayList<>();
    for (EndpointSlice slice : all) {
      if (slice.addressFamily() == family
          && !slice.labels().containsKey(Service.LABEL_SERVICE_PROXY_NAME)
          && !slice.labels().containsKey(Service.LABEL_HEADLESS)) {
        slices.add(slice);
      }
    }
    slices.sort(Comparator.comparing(EndpointSlice::id));
    for (EndpointSlice slice : slices) {
      for (int i = 0; i < slice.ports().size(); i++) {
        EndpointPort port = slice.ports().get(i);
        if (servicePort(service, port) == null) {
          LOG.warn(
              "{}: ports[{}]: port '{}'/{} matches no port of {}; ignored",
              slice.describe(), i, port.name(), port.protocol(), service.describe());
        }
      }
    }
    return new MergedEndpoints(slices, nodeName);
  }

  private static ServicePortSpec servicePort(Service service, EndpointPort port) {
    for (ServicePortSpec spec : service.ports()) {
      if (spec.name().equals(port.name()) && spec.protocol() == port.protocol()) {
        return spec;
      }
    }
    return null;
  }

  /** The distinct endpoints of {@code port}, sorted by the {@code ip:port} string. */
  ImmutableList<Merged> forPort(ServicePortSpec port) {
    Map<AddressPort, Merged> byAddress = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      EndpointPort slicePort = slicePort(slice, port);
      if (slicePort == null) {
        continue;
      }
      for (SliceEndpoint source : slice.endpoints()) {
        boolean local = nodeName.equals(source.nodeName());
        boolean otherNode =
            source.nodeName() != null && !source.nodeName().isEmpty() && !local;
        Merged candidate = new Merged(source,
            new ServiceEndpoint(source.address(), slicePort.port(), local, otherNode, false));
        byAddress.merge(
            new AddressPort(source.address(), slicePort.port()),
            candidate,
            (kept, next) -> rank(next) > rank(kept) ? next : kept);
      }
    }
    List<Merged> sorted = new ArrayList<>(byAddress.values());
    sorted.sort(Comparator.comparing(Merged::endpoint));
    return ImmutableList.copyOf(sorted);
  }

  /** The identity of an endpoint for de-duplication: {@code ip:port}. */
  private record AddressPort(IpAddress address, int port) {}

  private static EndpointPort slicePort(EndpointSlice slice, ServicePortSpec port) {
    for (EndpointPort p : slice.ports()) {
      if (p.name().equals(port.name()) && p.protocol() == port.protocol()) {
        return p;
      }
    }
    return null;
  }

  // Among duplicates: a ready copy wins, then a usable (serving and terminating) one, then a
  // local one (upstream's older tie-break); otherwise the first in slice-name order stays.
  private static int rank(Merged m) {
    return (m.ready() ? 4 : 0) + (m.servingTerminating() ? 2 : 0) + (m.local() ? 1 : 0);
  }
}
