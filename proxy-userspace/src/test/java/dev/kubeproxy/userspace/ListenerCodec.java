package dev.kubeproxy.userspace;

import com.google.common.collect.ImmutableList;
import dev.kubeproxy.api.EmptyVerdict;
import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServicePortKey;
import dev.kubeproxy.api.SessionAffinity;
import java.util.Arrays;
import java.util.List;

/**
 * The line format between {@link RemoteListeners} and {@link ListenerAgent}: tab-separated
 * fields, a spec as namespace, name, port name, protocol, traffic, bind address, port; endpoints
 * as the empty verdict and {@code address|port|local|terminating} joined by commas; affinity as
 * ClientIP flag and timeout.
 */
final class ListenerCodec {
  static final int SPEC_FIELDS = 7;

  private ListenerCodec() {}

  static String spec(ListenerSpec s) {
    return String.join("\t", s.key().service().namespace(), s.key().service().name(), s.key().portName(),
        s.key().protocol().name(), s.traffic().name(), s.bindAddress().toString(), Integer.toString(s.port()));
  }

  static ListenerSpec spec(List<String> f) {
    return new ListenerSpec(
        ServicePortKey.of(f.get(0), f.get(1), f.get(2), Protocol.valueOf(f.get(3))),
        Traffic.valueOf(f.get(4)), IpAddress.parse(f.get(5)), Integer.parseInt(f.get(6)));
  }

  static String put(ListenerSpec s, EndpointList endpoints, SessionAffinity affinity) {
    StringBuilder eps = new StringBuilder();
    for (ServiceEndpoint e : endpoints.endpoints()) {
      eps.append(eps.length() == 0 ? "" : ",")
          .append(e.address()).append('|').append(e.port()).append('|').append(e.local()).append('|').append(e.terminating());
    }
    return String.join("\t", "put", spec(s), endpoints.ifEmpty().name(), eps.toString(),
        Boolean.toString(affinity.clientIp()), Integer.toString(affinity.timeoutSeconds()));
  }

  static EndpointList endpoints(String verdict, String list) {
    ImmutableList.Builder<ServiceEndpoint> out = ImmutableList.builder();
    if (!list.isEmpty()) {
      for (String e : list.split(",")) {
        String[] p = e.split("\\|");
        out.add(new ServiceEndpoint(IpAddress.parse(p[0]), Integer.parseInt(p[1]),
            Boolean.parseBoolean(p[2]), Boolean.parseBoolean(p[3])));
      }
    }
    return new EndpointList(out.build(), EmptyVerdict.valueOf(verdict));
  }

  static SessionAffinity affinity(String clientIp, String timeout) {
    return new SessionAffinity(Boolean.parseBoolean(clientIp), Integer.parseInt(timeout));
  }

  static List<String> fields(String line) {
    return Arrays.asList(line.split("\t", -1));
  }
}
