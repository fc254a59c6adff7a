package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Endpoint order equals upstream's: the order of the {@code ip:port} strings. */
class ServiceEndpointOrderTest {
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void ordersExactlyLikeTheIpPortStrings(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < 5000; i++) {
      boolean v6 = random.nextInt(4) == 0;
      ServiceEndpoint a = random(random, v6);
      ServiceEndpoint b = random(random, v6);
      assertThat(Integer.signum(a.compareTo(b)))
          .as("seed %d: %s vs %s", seed, a, b)
          .isEqualTo(Integer.signum(a.toString().compareTo(b.toString())));
    }
  }

  private static ServiceEndpoint random(Random random, boolean v6) {
    // Small value ranges so that prefixes like 10.1.1.1 / 10.1.1.11 and equal addresses occur.
    String address =
        v6
            ? "fd00::" + Integer.toHexString(random.nextInt(40))
            : "10.1." + random.nextInt(3) + "." + random.nextInt(30);
    int port = random.nextBoolean() ? 80 + random.nextInt(3) : 8 + random.nextInt(3);
    return new ServiceEndpoint(IpAddress.parse(address), port, false, false);
  }
}
