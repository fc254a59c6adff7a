package dev.kubeproxy.nftables;

import static dev.kubeproxy.nftables.NftLabCluster.TARGET_PORT;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The lab the nftables kernel test classes share, so each states only its tests: a local
 * {@code client}, endpoint pods {@code ep-a}, {@code ep-b} (local) and {@code ep-r} (remote)
 * serving TCP and UDP on {@link NftLabCluster#TARGET_PORT}, and an {@link NftLabCluster} on the
 * node, reset to {@link NftLabCluster#defaultConfig} before each test. A subclass's own
 * {@code @BeforeAll} runs after {@link #createLab}, so it can serve more ports.
 */
abstract class NftLabTestBase {
  /** How long a request that should be answered may take. */
  static final Duration ANSWER = Duration.ofSeconds(2);

  static NetnsLab lab;
  static NftLabCluster cluster;
  static Pod client;
  static Pod epA;
  static Pod epB;
  static Pod epR;

  @BeforeAll
  static void createLab() throws CommandException {
    lab =
        NetnsLab.builder()
            .localPod("client")
            .localPod("ep-a")
            .localPod("ep-b")
            .remotePod("ep-r")
            .build();
    client = lab.pod("client");
    epA = lab.pod("ep-a");
    epB = lab.pod("ep-b");
    epR = lab.pod("ep-r");
    for (Pod pod : List.of(epA, epB, epR)) {
      lab.serve(pod, Protocol.TCP, TARGET_PORT);
      lab.serve(pod, Protocol.UDP, TARGET_PORT);
    }
    cluster = new NftLabCluster(lab);
  }

  @AfterAll
  static void closeLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void reset() throws Exception {
    cluster.reset(NftLabCluster.defaultConfig());
  }
}
