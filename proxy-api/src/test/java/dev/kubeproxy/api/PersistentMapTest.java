package dev.kubeproxy.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PersistentMapTest {
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 1234})
  void behavesLikeAHashMapAndNeverMutatesOlderVersions(long seed) {
    Random random = new Random(seed);
    Map<Integer, String> reference = new HashMap<>();
    PersistentMap<Integer, String> map = PersistentMap.empty();
    for (int round = 0; round < 200; round++) {
      Map<Integer, String> before = new HashMap<>(reference);
      PersistentMap<Integer, String> old = map;
      Map<Integer, String> changes = new HashMap<>();
      for (int i = random.nextInt(20); i >= 0; i--) {
        int key = random.nextInt(2000);
        String value = random.nextInt(4) == 0 ? null : "v" + random.nextInt(100);
        changes.put(key, value);
      }
      changes.forEach((k, v) -> {
        if (v == null) {
          reference.remove(k);
        } else {
          reference.put(k, v);
        }
      });
      map = map.with(changes);
      assertThat(map).as("seed %d round %d", seed, round).isEqualTo(reference);
      assertThat(map.size()).as("seed %d", seed).isEqualTo(reference.size());
      assertThat(old).as("seed %d: the old version is unchanged", seed).isEqualTo(before);
    }
  }
}
