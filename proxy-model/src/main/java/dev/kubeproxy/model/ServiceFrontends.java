package dev.kubeproxy.model;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import dev.kubeproxy.api.Frontend;
import dev.kubeproxy.api.FrontendKind;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.LoadBalancerIngress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.ServicePortSpec;
import dev.kubeproxy.api.ServiceType;
import java.util.Objects;

/**
 * The frontends a Service asks for in one IP family, per service port, before conflicts with
 * other services are resolved; each one remembers the input field it came from for log lines.
 */
final class ServiceFrontends {
  private ServiceFrontends() {}

  /** A requested frontend and the Service field that requested it. */
  record Candidate(Frontend frontend, String field) {
    Slot slot(IpFamily family) {
      return new Slot(family, frontend.address(), frontend.port(), frontend.protocol());
    }
  }

  /**
   * What a frontend occupies on the node: an address, port and protocol (address null for a
   * NodePort, which occupies the port on every NodePort address). Two service ports can't share
   * one: the backends key their dispatch maps by it.
   */
  record Slot(IpFamily family, IpAddress address, int port, Protocol protocol) {
    // Written out: the key of the frontend claims, built for every frontend of a full build.
    // A NodePort's slot has no address.
    @Override
    public boolean equals(Object o) {
      return o == this
          || o instanceof Slot other && port == other.port && protocol == other.protocol
              && family == other.family && Objects.equals(address, other.address);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * (31 * family.hashCode() + Objects.hashCode(address)) + port)
          + protocol.hashCode();
    }
  }

  /**
   * Whether upstream proxies {@code service} in {@code family}: not headless, not ExternalName,
   * not labelled for another proxy or as headless, and with a ClusterIP of the family.
   */
  static boolean proxied(Service service, IpFamily family) {
    return service != null
        && !service.headless()
        && service.type() != ServiceType.EXTERNAL_NAME
        && !service.labels().containsKey(Service.LABEL_SERVICE_PROXY_NAME)
        && !service.labels().containsKey(Service.LABEL_HEADLESS)
        && service.clusterIp(family) != null;
  }

  /** The key of {@code port} of {@code service}. */
  static ServicePortKey key(Service service, ServicePortSpec port) {
    return new ServicePortKey(service.id(), port.name(), port.protocol());
  }

  /**
   * Per service port, in order: the ClusterIP, the NodePort, each external IP and each
   * programmable load-balancer IP of {@code family} (duplicates kept); empty when the service is
   * not proxied in the family.
   */
  static ImmutableMap<ServicePortKey, ImmutableList<Candidate>> of(Service service, IpFamily family) {
    if (!proxied(service, family)) {
      return ImmutableMap.of();
    }
    ImmutableMap.Builder<ServicePortKey, ImmutableList<Candidate>> result = ImmutableMap.builder();
    ImmutableList<ServicePortSpec> ports = service.ports();
    for (int i = 0; i < ports.size(); i++) {
      ServicePortSpec port = ports.get(i);
      ImmutableList.Builder<Candidate> list = ImmutableList.builder();
      list.add(
          new Candidate(
              new Frontend(FrontendKind.CLUSTER_IP, service.clusterIp(family), port.port(), port.protocol()),
              "spec.clusterIPs"));
      if (port.nodePort() > 0) {
        list.add(
            new Candidate(
                Frontend.nodePort(port.nodePort(), port.protocol()), "spec.ports[" + i + "].nodePort"));
      }
      ImmutableList<IpAddress> externalIps = service.externalIps();
      for (int j = 0; j < externalIps.size(); j++) {
        if (externalIps.get(j).family() == family) {
          list.add(
              new Candidate(
                  new Frontend(FrontendKind.EXTERNAL_IP, externalIps.get(j), port.port(), port.protocol()),
                  "spec.externalIPs[" + j + "]"));
        }
      }
      ImmutableList<LoadBalancerIngress> ingress = service.loadBalancerIngress();
      for (int j = 0; j < ingress.size(); j++) {
        LoadBalancerIngress point = ingress.get(j);
        if (point.programmable() && point.ip().family() == family) {
          list.add(
              new Candidate(
                  new Frontend(FrontendKind.LOAD_BALANCER, point.ip(), port.port(), port.protocol()),
                  "status.loadBalancer.ingress[" + j + "].ip"));
        }
      }
      result.put(key(service, port), list.build());
    }
    return result.buildKeepingLast();
  }
}
