package dev.kubeproxy.api.backend.kit;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedMap;
import com.google.common.collect.Maps;
import dev.kubeproxy.api.PersistentMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Kernel objects that several service ports may need — a set element two services claim, a
 * hairpin pair, an IPVS real server, an ipset entry, a KUBE-SEP chain — created once and deleted
 * only when the last claimant lets go. Each object id has its claimants, each with the value it
 * wants; the smallest claimant's value is the one the kernel holds, so the outcome never
 * depends on the order changes arrive in. Immutable; an {@link Edit} shares structure, so its
 * cost follows the change, not the number of objects. Almost every object has one claimant, so
 * that case is held as one small {@link Claimants} without a sorted map (the committed state
 * of a large table holds hundreds of thousands of them).
 *
 * @param <K> who claims (a service port key, typically)
 * @param <I> what identifies an object in the kernel
 * @param <V> the object's value (what a claimant wants the kernel to hold under the id)
 */
public final class SharedObjects<K extends Comparable<K>, I, V> {
  private static final SharedObjects<?, ?, ?> EMPTY = new SharedObjects<>(PersistentMap.empty());

  private final PersistentMap<I, Claimants<K, V>> claims;

  private SharedObjects(PersistentMap<I, Claimants<K, V>> claims) {
    this.claims = claims;
  }

  @SuppressWarnings("unchecked")
  public static <K extends Comparable<K>, I, V> SharedObjects<K, I, V> empty() {
    return (SharedObjects<K, I, V>) EMPTY;
  }

  /** The value the kernel holds under {@code id}, or null when nobody claims it. */
  public V value(I id) {
    Claimants<K, V> claimants = claims.get(id);
    return claimants == null ? null : claimants.firstValue;
  }

  /** Who claims {@code id}, with the value each wants; empty when nobody does. */
  public ImmutableSortedMap<K, V> claimants(I id) {
    Claimants<K, V> claimants = claims.get(id);
    return claimants == null ? ImmutableSortedMap.of() : claimants.asMap();
  }

  /**
   * The claimants of one object: the smallest claimant and its value, and only when there are
   * several, all of them (the smallest included).
   */
  private static final class Claimants<K extends Comparable<K>, V> {
    private final K firstKey;
    private final V firstValue;
    private final ImmutableSortedMap<K, V> all;

    private Claimants(K firstKey, V firstValue, ImmutableSortedMap<K, V> all) {
      this.firstKey = firstKey;
      this.firstValue = firstValue;
      this.all = all;
    }

    /** The claimants of {@code sorted}, or null when it is empty. */
    static <K extends Comparable<K>, V> Claimants<K, V> of(TreeMap<K, V> sorted) {
      if (sorted.isEmpty()) {
        return null;
      }
      Map.Entry<K, V> first = sorted.firstEntry();
      return new Claimants<>(first.getKey(), first.getValue(),
          sorted.size() == 1 ? null : ImmutableSortedMap.copyOfSorted(sorted));
    }

    ImmutableSortedMap<K, V> asMap() {
      return all != null ? all : ImmutableSortedMap.of(firstKey, firstValue);
    }
  }

  /** How many objects have at least one claimant. */
  public int size() {
    return claims.size();
  }

  /** Starts a set of claims and releases against this state. */
  public Edit<K, I, V> edit() {
    return new Edit<>(this);
  }

  /** One object whose kernel value changes: absent before (null), absent after (null), or replaced. */
  public record Change<I, V>(I id, V before, V after) {
    /** Whether the object must be deleted, or replaced (a delete then an add) in the kernel. */
    public boolean removesOrReplaces() {
      return before != null;
    }

    /** Whether an object must be added (a new one or the replacement of an old one). */
    public boolean adds() {
      return after != null;
    }
  }

  /** The state after an edit and the kernel changes it takes, in the order ids were first touched. */
  public record Result<K extends Comparable<K>, I, V>(
      SharedObjects<K, I, V> objects, ImmutableList<Change<I, V>> changes) {}

  /** Claims and releases against one state; not thread-safe, used once. */
  public static final class Edit<K extends Comparable<K>, I, V> {
    private final SharedObjects<K, I, V> base;
    private final Map<I, Pending<K, V>> touched = new LinkedHashMap<>();

    private Edit(SharedObjects<K, I, V> base) {
      this.base = base;
    }

    /** {@code key} wants the kernel to hold {@code value} under {@code id}. */
    public Edit<K, I, V> claim(K key, I id, V value) {
      claimants(id).put(Objects.requireNonNull(key), Objects.requireNonNull(value));
      return this;
    }

    /** {@code key} no longer needs {@code id}. */
    public Edit<K, I, V> release(K key, I id) {
      claimants(id).remove(key);
      return this;
    }

    /**
     * {@code key}'s objects go from {@code before} to {@code after}: releases what it no longer
     * needs and claims what is new or has a new value.
     */
    public Edit<K, I, V> replace(K key, Map<I, V> before, Map<I, V> after) {
      // Objects are touched in the order of before, then of after, so changes come out in it.
      for (Map.Entry<I, V> e : before.entrySet()) {
        V wanted = after.get(e.getKey());
        if (wanted == null) {
          release(key, e.getKey());
        } else if (!wanted.equals(e.getValue())) {
          claim(key, e.getKey(), wanted);
        }
      }
      for (Map.Entry<I, V> e : after.entrySet()) {
        if (!before.containsKey(e.getKey())) {
          claim(key, e.getKey(), e.getValue());
        }
      }
      return this;
    }

    private Pending<K, V> claimants(I id) {
      return touched.computeIfAbsent(id, i -> Pending.of(base.claims.get(i)));
    }

    /** The new state and what the kernel must change to match it. */
    public Result<K, I, V> finish() {
      ImmutableList.Builder<Change<I, V>> changes = ImmutableList.builder();
      for (Map.Entry<I, Pending<K, V>> e : touched.entrySet()) {
        I id = e.getKey();
        V before = base.value(id);
        V after = e.getValue().firstValue();
        if (!Objects.equals(before, after)) {
          changes.add(new Change<>(id, before, after));
        }
      }
      // A view, not a copy: a full sync touches every object, and this is its heap peak.
      Map<I, Claimants<K, V>> updates = Maps.transformValues(touched, Pending::claimants);
      return new Result<>(new SharedObjects<>(base.claims.with(updates)), changes.build());
    }
  }

  /**
   * One object's claimants while an edit changes them: a single claimant held as a pair, a
   * sorted map only once there are two (a full sync touches every object once).
   */
  private static final class Pending<K extends Comparable<K>, V> {
    private K onlyKey;
    private V onlyValue;
    private TreeMap<K, V> many;

    static <K extends Comparable<K>, V> Pending<K, V> of(Claimants<K, V> claimants) {
      Pending<K, V> pending = new Pending<>();
      if (claimants != null && claimants.all != null) {
        pending.many = new TreeMap<>(claimants.all);
      } else if (claimants != null) {
        pending.onlyKey = claimants.firstKey;
        pending.onlyValue = claimants.firstValue;
      }
      return pending;
    }

    void put(K key, V value) {
      if (many == null && (onlyKey == null || onlyKey.compareTo(key) == 0)) {
        onlyKey = key;
        onlyValue = value;
        return;
      }
      if (many == null) {
        many = new TreeMap<>();
        many.put(onlyKey, onlyValue);
        onlyKey = null;
        onlyValue = null;
      }
      many.put(key, value);
    }

    void remove(K key) {
      if (many != null) {
        many.remove(key);
      } else if (onlyKey != null && onlyKey.compareTo(key) == 0) {
        onlyKey = null;
        onlyValue = null;
      }
    }

    /** The smallest claimant's value, or null when nobody claims the object. */
    V firstValue() {
      if (many != null) {
        return many.isEmpty() ? null : many.firstEntry().getValue();
      }
      return onlyValue;
    }

    /** What the state holds for the object, or null when nobody claims it. */
    Claimants<K, V> claimants() {
      if (many != null) {
        return Claimants.of(many);
      }
      return onlyKey == null ? null : new Claimants<>(onlyKey, onlyValue, null);
    }
  }
}
