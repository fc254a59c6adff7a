package dev.kubeproxy.model.conformance;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.Maps;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The capabilities a backend declares it lacks, each with the reason, so that the conformance
 * tests needing them print {@code EXCLUDED ...} and pass instead of being silently skipped.
 * Capabilities are an enum: an exclusion naming an unknown one does not compile.
 */
public final class Exclusions {
  private static final Exclusions NONE = new Exclusions(ImmutableMap.of());

  private final ImmutableMap<Capability, String> reasons;

  private Exclusions(ImmutableMap<Capability, String> reasons) {
    this.reasons = reasons;
  }

  /** No exclusions: the backend runs every conformance test. */
  public static Exclusions none() {
    return NONE;
  }

  /** Excludes the tests that require {@code capability}, for {@code reason}. */
  public static Exclusions of(Capability capability, String reason) {
    return NONE.and(capability, reason);
  }

  /** These exclusions plus {@code capability}, for {@code reason}. */
  public Exclusions and(Capability capability, String reason) {
    checkNotNull(capability, "capability");
    checkArgument(
        reason != null && !reason.isBlank(), "exclusion of %s needs a reason", capability);
    checkArgument(!reasons.containsKey(capability), "%s excluded twice", capability);
    Map<Capability, String> next = new EnumMap<>(Capability.class);
    next.putAll(reasons);
    next.put(capability, reason.strip());
    return new Exclusions(Maps.immutableEnumMap(next));
  }

  /** The excluded capabilities and why. */
  public ImmutableMap<Capability, String> reasons() {
    return reasons;
  }

  /**
   * Why {@code test} must not run: each capability its {@link Requires} names that is excluded,
   * with its reason; empty when it runs.
   */
  public Optional<String> reasonToExclude(Method test) {
    Requires requires = test.getAnnotation(Requires.class);
    if (requires == null) {
      return Optional.empty();
    }
    List<String> why = new ArrayList<>();
    for (Capability capability : requires.value()) {
      String reason = reasons.get(capability);
      if (reason != null) {
        why.add(capability + " (" + reason + ")");
      }
    }
    return why.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", why));
  }

  /** The line an excluded test prints: {@code EXCLUDED <suite>.<test> for <mode>: <reason>}. */
  public static String line(Method test, String mode, String reason) {
    return "EXCLUDED " + test.getDeclaringClass().getSimpleName() + "." + test.getName()
        + " for " + mode + ": " + reason;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Exclusions other && reasons.equals(other.reasons);
  }

  @Override
  public int hashCode() {
    return reasons.hashCode();
  }

  @Override
  public String toString() {
    return reasons.isEmpty() ? "no exclusions" : reasons.toString();
  }
}
