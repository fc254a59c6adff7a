package dev.kubeproxy.api.testing.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The pod churn of the churn-under-traffic tests (issue 14): one random change to a Service's
 * endpoints, each pod either absent, ready ({@code true}) or serving and terminating ({@code
 * false}). Shared so that the backend-level suite and the binary's tests churn alike.
 */
public final class PodChurn {
  private PodChurn() {}

  /**
   * One change: add an absent pod (ready), mark a ready one terminating, or remove one, never
   * removing or marking the last ready pod; drawn again until one is allowed (one always is:
   * with every pod present and one ready, the others are terminating and may go).
   *
   * @param <P> how a pod is named (a {@link Pod}, or its name)
   */
  public static <P> void step(Random random, List<P> pods, Map<P, Boolean> endpoints) {
    while (true) {
      List<P> absent = new ArrayList<>(pods);
      absent.removeAll(endpoints.keySet());
      List<P> ready = endpoints.entrySet().stream().filter(Map.Entry::getValue)
          .map(Map.Entry::getKey).toList();
      List<P> present = new ArrayList<>(endpoints.keySet());
      switch (random.nextInt(3)) {
        case 0 -> {
          if (!absent.isEmpty()) {
            endpoints.put(absent.get(random.nextInt(absent.size())), true);
            return;
          }
        }
        case 1 -> {
          if (ready.size() > 1) {
            endpoints.put(ready.get(random.nextInt(ready.size())), false);
            return;
          }
        }
        default -> {
          P victim = present.get(random.nextInt(present.size()));
          if (!endpoints.get(victim) || ready.size() > 1) {
            endpoints.remove(victim);
            return;
          }
        }
      }
    }
  }
}
