package dev.kubeproxy.model.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/** Which conformance tests a backend's exclusions turn off, and what they print. */
class ExclusionsTest {
  private static final List<Class<? extends LabSuite>> SUITES =
      List.of(
          TrafficConformanceSuite.class,
          PolicyConformanceSuite.class,
          LifecycleConformanceSuite.class,
          DifferentialConformanceSuite.class);

  private static Method test(Class<?> suite, String name) throws NoSuchMethodException {
    for (Method m : suite.getDeclaredMethods()) {
      if (m.getName().equals(name)) {
        return m;
      }
    }
    throw new NoSuchMethodException(name);
  }

  @Test
  void noExclusionsRunEveryTest() throws Exception {
    Method ipv6 = test(TrafficConformanceSuite.class, "ipv6ClusterIp");

    assertThat(Exclusions.none().reasonToExclude(ipv6)).isEmpty();
  }

  @Test
  void aTestIsExcludedByEachExcludedCapabilityItRequires() throws Exception {
    Method ipv6 = test(TrafficConformanceSuite.class, "ipv6ClusterIp");
    Exclusions exclusions =
        Exclusions.of(Capability.REJECT, "closes instead")
            .and(Capability.SOURCE_PRESERVED, "the proxy dials endpoints itself");

    assertThat(exclusions.reasonToExclude(ipv6))
        .hasValue(
            "SOURCE_PRESERVED (the proxy dials endpoints itself), REJECT (closes instead)");
    assertThat(Exclusions.of(Capability.DROP, "x").reasonToExclude(ipv6)).isEmpty();
    // A test requiring nothing is never excluded.
    assertThat(exclusions.reasonToExclude(test(TrafficConformanceSuite.class, "targetPortMapping")))
        .isEmpty();
  }

  @Test
  void printedLineNamesSuiteTestModeAndReason() throws Exception {
    Method stale = test(LifecycleConformanceSuite.class, "staleUdpFlowMovesAfterConntrackCleanup");

    assertThat(Exclusions.line(stale, "userspace", "UDP_CONNTRACK_CLEANUP (no NAT)"))
        .isEqualTo(
            "EXCLUDED LifecycleConformanceSuite.staleUdpFlowMovesAfterConntrackCleanup"
                + " for userspace: UDP_CONNTRACK_CLEANUP (no NAT)");
  }

  @Test
  void anExclusionNeedsAReasonAndIsNamedOnce() {
    assertThatThrownBy(() -> Exclusions.of(Capability.DROP, " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DROP");
    assertThatThrownBy(() -> Exclusions.of(Capability.DROP, "a").and(Capability.DROP, "b"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A capability no test requires would let a backend claim an exclusion that excludes nothing. */
  @Test
  void everyCapabilityIsRequiredBySomeSuiteTest() {
    Set<Capability> required = EnumSet.noneOf(Capability.class);
    for (Class<? extends LabSuite> suite : SUITES) {
      assertThat(Modifier.isAbstract(suite.getModifiers())).as("%s is abstract", suite).isTrue();
      for (Method m : suite.getDeclaredMethods()) {
        Requires requires = m.getAnnotation(Requires.class);
        if (requires != null) {
          assertThat(
                  m.isAnnotationPresent(Test.class)
                      || m.isAnnotationPresent(ParameterizedTest.class))
              .as("@Requires on %s, which is not a test", m)
              .isTrue();
          required.addAll(List.of(requires.value()));
        }
      }
    }
    assertThat(required).containsExactlyInAnyOrder(Capability.values());
  }
}
