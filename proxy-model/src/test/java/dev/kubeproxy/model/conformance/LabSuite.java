package dev.kubeproxy.model.conformance;

import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import dev.kubeproxy.api.testing.lab.Pod;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The lab a backend's kernel test classes share, so each states only its tests: a local {@code
 * client}, endpoint pods {@code ep-a}, {@code ep-b} (local) and {@code ep-r} (remote) serving TCP
 * and UDP on {@link LabCluster#TARGET_PORT}, and a {@link LabCluster} of the subclass's {@link
 * #backendUnderTest}, reset to {@link LabCluster#defaultConfig} before each test. One instance
 * per class, so a subclass's own {@code @BeforeAll} runs after {@link #createLab} and can serve
 * more ports. Concrete subclasses are {@code @KernelTest}s; tests marked {@link Requires} a
 * capability the subclass's {@link #exclusions} name print why and pass without running.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ConformanceExtension.class)
public abstract class LabSuite {
  /** How long a request that should be answered may take. */
  protected static final Duration ANSWER = Duration.ofSeconds(2);

  protected NetnsLab lab;
  protected LabCluster cluster;
  protected Pod client;
  protected Pod epA;
  protected Pod epB;
  protected Pod epR;

  /** The backend these tests program. */
  protected abstract BackendUnderTest backendUnderTest();

  /** The capabilities this backend lacks; none unless a subclass names them. */
  protected Exclusions exclusions() {
    return Exclusions.none();
  }

  /** The lab's pods; a subclass may add some (it then serves them itself). */
  protected NetnsLab.Builder labBuilder() {
    return NetnsLab.builder()
        .localPod("client")
        .localPod("ep-a")
        .localPod("ep-b")
        .remotePod("ep-r");
  }

  @BeforeAll
  void createLab() throws CommandException {
    lab = labBuilder().build();
    client = lab.pod("client");
    epA = lab.pod("ep-a");
    epB = lab.pod("ep-b");
    epR = lab.pod("ep-r");
    for (Pod pod : List.of(epA, epB, epR)) {
      lab.serve(pod, Protocol.TCP, LabCluster.TARGET_PORT);
      lab.serve(pod, Protocol.UDP, LabCluster.TARGET_PORT);
    }
    cluster = new LabCluster(lab, backendUnderTest());
  }

  @AfterAll
  void closeLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void resetCluster() throws Exception {
    cluster.reset(LabCluster.defaultConfig());
  }

  /** The mode under test, for messages. */
  final String mode() {
    return backendUnderTest().mode();
  }
}
