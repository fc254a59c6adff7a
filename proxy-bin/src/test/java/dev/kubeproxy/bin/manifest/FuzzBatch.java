package dev.kubeproxy.bin.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded batch of manifest documents for the fuzz tests: good Services with their slices,
 * bad objects of the kinds issue 14 found (wraparound, truncation, Unicode digits, special
 * addresses, bombs, silent drops) each named {@code bad-N} where a name is possible, and
 * mutated good objects ({@code mut-N}) whose outcome is not known in advance.
 */
final class FuzzBatch {
  final List<String> documents = new ArrayList<>();
  /** Good Services: each must be programmed. */
  final List<Integer> good = new ArrayList<>();
  /** Names of bad objects: each must be named by exactly one problem. */
  final List<String> badNames = new ArrayList<>();
  /** Bad documents with no usable name: counted among the problems. */
  int badNameless;
  /** Names of mutated objects: each must be loaded or named by a problem. */
  final List<String> mutated = new ArrayList<>();

  private static final String[] SPECIAL = {
    "127.0.0.1", "0.0.0.0", "169.254.169.254", "169.254.0.1", "224.0.0.1"
  };
  private static final String[] GARBAGE = {
    "-1", "99999999999", "4294967376", "1e400", "81.9", "~", "[]", "{}", "'٣'", "\"\\0\"",
    "!!binary AAAA", "true", "'None'", "''", "&x 1", "0x50", "\"10.96.0.1\\n\"", "[[[[[1]]]]]"
  };

  static FuzzBatch generate(long seed, int goods, int bads, int mutations) {
    Random random = new Random(seed);
    FuzzBatch batch = new FuzzBatch();
    for (int i = 0; i < goods; i++) {
      batch.documents.add(goodService("good-" + i, i, random));
      batch.documents.add(goodSlice("good-" + i, i, random));
      batch.good.add(i);
    }
    for (int i = 0; i < bads; i++) {
      batch.addBad(i, random);
    }
    for (int i = 0; i < mutations; i++) {
      String name = "mut-" + i;
      String doc = goodService(name, goods + i, random);
      String[] lines = doc.split("\n");
      int line = 5 + random.nextInt(lines.length - 5);
      int colon = lines[line].indexOf(": ");
      if (colon > 0) {
        lines[line] = lines[line].substring(0, colon + 2) + GARBAGE[random.nextInt(GARBAGE.length)];
      }
      batch.documents.add(String.join("\n", lines) + "\n");
      batch.mutated.add(name);
    }
    java.util.Collections.shuffle(batch.documents, random);
    return batch;
  }

  static String clusterIp(int i) {
    return "10.96." + (i / 250) + "." + (i % 250 + 1);
  }

  static String goodService(String name, int i, Random random) {
    boolean nodePort = random.nextBoolean();
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: default\n"
        + "spec:\n  type: " + (nodePort ? "NodePort" : "ClusterIP") + "\n"
        + "  clusterIP: " + clusterIp(i) + "\n"
        + "  sessionAffinity: " + (random.nextInt(4) == 0 ? "ClientIP" : "None") + "\n"
        + "  ports:\n  - name: http\n    port: " + (80 + random.nextInt(3)) + "\n"
        + (nodePort ? "    nodePort: " + (30000 + i) + "\n" : "")
        + "    protocol: " + (random.nextInt(5) == 0 ? "UDP" : "TCP") + "\n";
  }

  static String goodSlice(String service, int i, Random random) {
    StringBuilder b = new StringBuilder(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + service
            + "-1\n  namespace: default\n  labels:\n    kubernetes.io/service-name: " + service
            + "\naddressType: IPv4\nports:\n- name: http\n  port: 8080\n  protocol: TCP\n- name: udp\n"
            + "  port: 8080\n  protocol: UDP\nendpoints:\n");
    int endpoints = 1 + random.nextInt(3);
    for (int e = 0; e < endpoints; e++) {
      b.append("- addresses: [10.244.").append(i % 200).append('.').append(e + 1).append("]\n")
          .append("  conditions: {ready: true}\n  nodeName: node-").append(1 + random.nextInt(2)).append('\n');
    }
    return b.toString();
  }

  private static String service(String name, String spec) {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: default}\nspec: "
        + spec + "\n";
  }

  private static String slice(String name, String endpoints, String port) {
    return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + name
        + ", namespace: default, labels: {kubernetes.io/service-name: good-0}}\naddressType: IPv4\n"
        + "ports: [{name: http, port: " + port + "}]\nendpoints: [" + endpoints + "]\n";
  }

  private void addBad(int i, Random random) {
    String name = "bad-" + i;
    String ip = "10.97." + (i / 250) + "." + (i % 250 + 1);
    String ok = "{clusterIP: " + ip + ", ports: [{port: 80}]";
    String doc;
    switch (random.nextInt(24)) {
      case 0 -> doc = service(name, "{clusterIP: " + ip + ", ports: [{port: " + (4294967296L + 80) + "}]}");
      case 1 -> doc = service(name, "{clusterIP: " + ip + ", ports: [{port: 81.9}]}");
      case 2 -> doc = service(name, "{clusterIP: " + ip + ", ports: [{port: '80'}]}");
      case 3 -> doc = service(name, "{clusterIP: '١٠.٩٧.٥.٩', ports: [{port: 80}]}");
      case 4 -> doc = service(name, ok + ", externalIPs: [" + SPECIAL[random.nextInt(SPECIAL.length)] + "]}");
      case 5 -> doc = slice(name, "{addresses: [" + SPECIAL[random.nextInt(SPECIAL.length)] + "]}", "8080");
      case 6 -> doc = service(name, "{clusterIPs: [" + ip + ", ''], ports: [{port: 80}]}");
      case 7 -> doc = slice(name, "{addresses: [10.244.9.9], conditions: {ready: 'no'}}", "8080");
      case 8 -> doc = service(name, "null");
      case 9 -> doc = service(name, "{clusterIP: " + ip + ", ports: []}");
      case 10 -> doc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name
          + "\n  labels: &l {self: *l}\nspec: " + ok + "}\n";
      case 11 -> doc = bomb(name);
      case 12 -> doc = service(name, ok + ", sessionAffinity: ClientIP, sessionAffinityConfig: "
          + "{clientIP: {timeoutSeconds: 4294967896}}}");
      case 13 -> doc = service(name, "{clusterIP: " + ip + ", ports: [{name: web ui, port: 80}]}");
      case 14 -> doc = service(name, "{clusterIP: " + ip + ", ports: [{port: 80, protocol: ICMP}]}");
      case 15 -> doc = "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\nmetadata: {name: " + name + "}\n";
      case 16 -> doc = "apiVersion: v1\nkind: Servce\nmetadata: {name: " + name + "}\n";
      case 17 -> doc = service(name, "{clusterIP: " + ip + ", type: NodePort, ports: [{port: 80, nodePort: 70000}]}");
      case 18 -> doc = service(name, ok + ", sessionAffinity: Sticky}");
      case 19 -> doc = service(name, ok + ", externalTrafficPolicy: Nearby}");
      case 20 -> doc = slice(name, "{addresses: [10.244.9.9]}", "4294975488");
      case 21 -> doc = service(name, "{clusterIP: " + ip + ", clusterIPs: [10.97.200.1], ports: [{port: 80}]}");
      case 22 -> {
        // The name itself is what is wrong: counted, not matched by name.
        documents.add(service("Bad_" + i, ok + "}"));
        badNameless++;
        return;
      }
      default -> {
        documents.add("apiVersion: v1\nkind: Service\nmetadata: {name: [broken\n");
        badNameless++;
        return;
      }
    }
    documents.add(doc);
    badNames.add(name);
  }

  private static String bomb(String name) {
    StringBuilder b = new StringBuilder(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: default\n  annotations:\n"
            + "    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int level = 1; level <= 6; level++) {
      b.append("    l").append(level).append(": &l").append(level).append(" [");
      for (int i = 0; i < 9; i++) {
        b.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
      }
      b.append("]\n");
    }
    return b.append("spec: {clusterIP: 10.97.250.1, ports: [{port: 80}]}\n").toString();
  }
}
