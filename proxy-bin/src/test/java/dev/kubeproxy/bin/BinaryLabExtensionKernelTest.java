package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kubeproxy.api.testing.lab.KernelTest;
import dev.kubeproxy.api.testing.lab.NetnsLab;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The lab half of {@link BinaryLabExtension}: built at JUnit's before-all, deleted at after-all. */
@KernelTest
class BinaryLabExtensionKernelTest {
  @Test
  @DisplayName("before-all builds the lab with the builder's pods; after-all deletes its namespaces")
  void buildsAndDeletesTheLab() throws Exception {
    BinaryLabExtension extension = BinaryLabExtension.with(NetnsLab.builder().localPod("client"));
    NetnsLab lab;
    try {
      extension.beforeAll(null);
      lab = extension.lab();
      assertThat(lab.pod("client").local()).isTrue();
      assertThat(NetnsLab.listNamespaces()).containsAll(lab.namespaces());
    } finally {
      extension.afterAll(null);
    }

    assertThat(lab.isClosed()).isTrue();
    List<String> left = NetnsLab.listNamespaces();
    assertThat(lab.namespaces()).noneMatch(left::contains);
    assertThatThrownBy(extension::lab).isInstanceOf(IllegalStateException.class);
  }
}
