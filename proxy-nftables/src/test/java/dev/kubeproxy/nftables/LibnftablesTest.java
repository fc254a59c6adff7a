package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Where the running JDK lacks the foreign-function API (before 22) libnftables is not used and
 * the tool is; the in-process path itself is proven in proxy-bin's InProcessNftablesKernelTest.
 */
class LibnftablesTest {
  @Test
  @DisplayName("before JDK 22 there is no in-process library: the nft tool is used")
  void absentBeforeJdk22() {
    if (Runtime.version().feature() < 22) {
      assertThat(Libnftables.open()).isEmpty();
    } else {
      // A JDK with the API opens the library wherever libnftables is installed (as here).
      assertThat(Libnftables.open()).isPresent();
    }
  }
}
