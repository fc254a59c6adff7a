package dev.kubeproxy.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpAddress;
import dev.kubeproxy.api.ServiceEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The upstream-style reference ruleset of the data-path benchmark has upstream's nftables shape
 * for NodePorts (a {@code service-nodeports} vmap behind {@code fib daddr type local}, into the
 * service's external chain) and ClientIP affinity (a timeout set per endpoint, checked before the
 * random pick and refreshed before the DNAT), and declares everything before it is used.
 */
class UpstreamStyleRulesetTest {
  private static final int GROUPS = 3;
  private static final ForwardingTable TABLE =
      LoadedModel.load(Workload.groups(3 * GROUPS, GROUPS)).table();
  private static final String TEXT = UpstreamStyleRuleset.text(TABLE);
  private static final String T = "ip kube-proxy ";

  @Test
  @DisplayName("NodePort traffic to a local address goes through service-nodeports to a masquerading external chain")
  void nodePorts() {
    List<String> services = rules("services");
    assertThat(services).containsExactly(
        "ip daddr . meta l4proto . th dport vmap @service-ips",
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap"
            + " @service-nodeports");
    for (int g = 0; g < GROUPS; g++) {
      String external = verdictChain("service-nodeports", "tcp . " + Workload.groupsNodePort(g));
      assertThat(external).startsWith("external-");
      String index = external.substring("external-".length());
      assertThat(rules(external)).as("group %d", g)
          .containsExactly("jump mark-for-masquerade", "goto service-" + index);
      assertThat(rules("service-" + index)).as("group %d", g).containsExactly(
          "numgen random mod " + (g + 1) + " vmap { " + vmapElements(index, g + 1) + " }");
    }
    assertThat(rules("nodeport-endpoints-check")).containsExactly(
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap"
            + " @no-endpoint-nodeports");
    assertThat(rules("filter-input")).containsExactly(
        "ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check");
  }

  @Test
  @DisplayName("a ClientIP service checks one timeout set per endpoint before the pick and refreshes it before the DNAT")
  void affinity() {
    for (int g = 0; g < GROUPS; g++) {
      String clusterIp = Workload.groupsAffinityClusterIp(GROUPS, g);
      String service = verdictChain("service-ips", clusterIp + " . tcp . 80");
      String index = service.substring("service-".length());
      List<String> sets = UpstreamStyleRuleset.affinitySets(TABLE, IpAddress.parse(clusterIp));
      assertThat(sets).as("group %d", g).hasSize(g + 1);

      List<String> expected = new ArrayList<>();
      for (int j = 0; j <= g; j++) {
        String set = "affinity-" + index + "-" + j;
        assertThat(sets.get(j)).isEqualTo(set);
        assertThat(TEXT).contains("add set " + T + set
            + " { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }\n");
        expected.add("ip saddr @" + set + " goto endpoint-" + index + "-" + j);
        List<String> endpoint = rules("endpoint-" + index + "-" + j);
        assertThat(endpoint).hasSize(3);
        assertThat(endpoint.get(0)).endsWith(" jump mark-for-masquerade");
        assertThat(endpoint.get(1)).isEqualTo("update @" + set + " { ip saddr }");
        assertThat(endpoint.get(2)).startsWith("meta l4proto tcp dnat to 10.65.");
      }
      expected.add("numgen random mod " + (g + 1) + " vmap { " + vmapElements(index, g + 1)
          + " }");
      assertThat(rules(service)).as("group %d", g).containsExactlyElementsOf(expected);
    }
  }

  @Test
  @DisplayName("services without affinity have no affinity sets or rules")
  void noAffinityElsewhere() {
    for (int i = 0; i < 2 * GROUPS; i++) {
      String clusterIp = Workload.groupsClusterIp(i);
      assertThat(UpstreamStyleRuleset.affinitySets(TABLE, IpAddress.parse(clusterIp))).isEmpty();
      String service = verdictChain("service-ips", clusterIp + " . tcp . 80");
      assertThat(rules(service)).hasSize(1);
      String index = service.substring("service-".length());
      for (int j = 0; j <= i % GROUPS; j++) {
        assertThat(rules("endpoint-" + index + "-" + j)).noneMatch(r -> r.contains("@affinity"));
      }
    }
    assertThat(TEXT.lines().filter(l -> l.startsWith("add set " + T + "affinity-")))
        .hasSize(1 + 2 + 3);
  }

  @Test
  @DisplayName("every chain, set and map is declared before a rule or element refers to it")
  void declaredBeforeUse() {
    Set<String> declared = new HashSet<>();
    Pattern declaration = Pattern.compile("^add (?:chain|set|map) ip kube-proxy (\\S+)");
    Pattern reference = Pattern.compile("(?:goto |jump |@)([a-z][\\w-]*)");
    int references = 0;
    for (String line : TEXT.lines().toList()) {
      Matcher d = declaration.matcher(line);
      if (line.equals("add table ip kube-proxy")) {
        continue;
      }
      if (d.find()) {
        declared.add(d.group(1));
        continue;
      }
      assertThat(line).startsWith("add ");
      String[] words = line.split(" ");
      assertThat(declared).as(line).contains(words[4]); // the rule's chain or element's map
      Matcher r = reference.matcher(line);
      while (r.find()) {
        assertThat(declared).as(line).contains(r.group(1));
        references++;
      }
    }
    assertThat(references).isGreaterThan(50);
  }

  @Test
  @DisplayName("externalTrafficPolicy Local, which it does not model, is refused")
  void refusesLocalPolicy() {
    ServiceEntry nodePort = TABLE.sortedEntries().stream()
        .filter(e -> e.frontends().stream().anyMatch(f -> f.address() == null))
        .findFirst().orElseThrow();
    ForwardingTable local = TABLE.withEntries(
        Map.of(nodePort.key(), nodePort.toBuilder().externalPolicyLocal(true).build()));

    assertThatThrownBy(() -> UpstreamStyleRuleset.text(local))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("externalTrafficPolicy Local");
  }

  /** The rule bodies of {@code chain}, in order. */
  private static List<String> rules(String chain) {
    String prefix = "add rule " + T + chain + " ";
    return TEXT.lines().filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length())).toList();
  }

  /** The chain that {@code key}'s element of verdict map {@code map} goes to. */
  private static String verdictChain(String map, String key) {
    String prefix = "add element " + T + map + " { " + key + " : goto ";
    List<String> chains = TEXT.lines().filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length(), l.length() - " }".length())).toList();
    assertThat(chains).as("%s in %s", key, map).hasSize(1);
    return chains.get(0);
  }

  private static String vmapElements(String index, int endpoints) {
    List<String> elements = new ArrayList<>();
    for (int j = 0; j < endpoints; j++) {
      elements.add(j + " : goto endpoint-" + index + "-" + j);
    }
    return String.join(", ", elements);
  }
}
