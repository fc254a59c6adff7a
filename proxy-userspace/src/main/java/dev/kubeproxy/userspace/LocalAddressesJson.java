package dev.kubeproxy.userspace;

import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServicePortKey;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders the userspace proxy's local address per service port as JSON, for the binary to
 * serve beside its metrics: {@code {"servicePorts":[{"namespace":..., "name":..., "port":...,
 * "protocol":..., "addresses":["127.0.0.1:40123"]}]}}, sorted by key.
 */
public final class LocalAddressesJson {
  private LocalAddressesJson() {}

  public static String render(Map<ServicePortKey, ? extends List<InetSocketAddress>> addresses) {
    StringBuilder out = new StringBuilder("{\"servicePorts\":[");
    boolean first = true;
    for (Map.Entry<ServicePortKey, ? extends List<InetSocketAddress>> e : new TreeMap<>(addresses).entrySet()) {
      ServicePortKey key = e.getKey();
      out.append(first ? "" : ",").append('{');
      field(out, "namespace", key.service().namespace()).append(',');
      field(out, "name", key.service().name()).append(',');
      field(out, "port", key.portName()).append(',');
      field(out, "protocol", key.protocol().name()).append(",\"addresses\":[");
      boolean firstAddress = true;
      for (InetSocketAddress a : e.getValue()) {
        out.append(firstAddress ? "" : ",");
        string(out, IpAddress.of(a.getAddress()).withPort(a.getPort()));
        firstAddress = false;
      }
      out.append("]}");
      first = false;
    }
    return out.append("]}").toString();
  }

  private static StringBuilder field(StringBuilder out, String name, String value) {
    string(out, name).append(':');
    return string(out, value);
  }

  private static StringBuilder string(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }
}
