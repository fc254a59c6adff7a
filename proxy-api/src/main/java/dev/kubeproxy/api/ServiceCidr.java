package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code networking.k8s.io/v1} ServiceCIDR: a cluster-wide range ClusterIPs are allocated
 * from. The proxy reads only its name and {@code spec.cidrs}, validated as the API server does
 * (one or two canonical prefixes, of different families when two), so that nftables mode can
 * drop traffic to addresses inside them that no Service holds, as upstream does.
 */
public record ServiceCidr(String name, ImmutableList<Cidr> cidrs) {

  public ServiceCidr {
    if (name == null || !KubernetesNames.isDns1123Subdomain(name)) {
      throw new InvalidObjectException(
          "ServiceCIDR " + KubernetesNames.printable(String.valueOf(name)), "metadata.name",
          "must be a DNS-1123 subdomain");
    }
    String object = "ServiceCIDR " + name;
    if (cidrs == null || cidrs.isEmpty() || cidrs.size() > 2) {
      throw new InvalidObjectException(object, "spec.cidrs", "must hold one or two CIDRs");
    }
    if (cidrs.size() == 2 && cidrs.get(0).family() == cidrs.get(1).family()) {
      throw new InvalidObjectException(
          object, "spec.cidrs", "two CIDRs must be one IPv4 and one IPv6");
    }
  }

  /**
   * Parses {@code spec.cidrs} as the API server validates them: each a prefix in canonical form
   * (the network address, as in {@code 10.96.0.0/16}), naming the object and the field on failure.
   */
  public static ServiceCidr parse(String name, List<String> cidrs) {
    String object = "ServiceCIDR " + KubernetesNames.printable(String.valueOf(name));
    List<Cidr> parsed = new ArrayList<>();
    List<String> texts = cidrs == null ? List.of() : cidrs;
    for (int i = 0; i < texts.size(); i++) {
      String field = "spec.cidrs[" + i + "]";
      String text = texts.get(i);
      Cidr cidr = Cidr.parse(text, object, field);
      if (!cidr.toString().equals(text)) {
        throw new InvalidObjectException(object, field,
            "'" + KubernetesNames.printable(String.valueOf(text)) + "' must be in canonical form "
                + cidr);
      }
      parsed.add(cidr);
    }
    return new ServiceCidr(name, ImmutableList.copyOf(parsed));
  }
}
