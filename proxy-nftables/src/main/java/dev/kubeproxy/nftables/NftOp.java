package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSortedSet;
import java.util.Objects;

/**
 * One operation of an {@link NftTransaction}, as small immutable records in the spirit of
 * knftables: the compiler produces them, the renderer prints them as {@code nft -f} lines and
 * the fake kernel applies them in memory.
 */
public sealed interface NftOp {
  /** The table the operation acts on. */
  NftTable table();

  /** Creates the table if absent (idempotent, as {@code nft add table}). */
  record AddTable(NftTable table, String comment) implements NftOp {
    public AddTable {
      Objects.requireNonNull(table);
      comment = comment == null ? null : NftNames.sanitizeComment(comment);
    }
  }

  /** Deletes the table and everything in it; fails if it is absent. */
  record DeleteTable(NftTable table) implements NftOp {
    public DeleteTable {
      Objects.requireNonNull(table);
    }
  }

  /** Creates a chain if absent; {@code base} is null for a regular chain. */
  record AddChain(NftTable table, String name, BaseChain base, String comment) implements NftOp {
    public AddChain {
      Objects.requireNonNull(table);
      NftNames.checkName(name);
      comment = comment == null ? null : NftNames.sanitizeComment(comment);
    }
  }

  /** Removes every rule of a chain. */
  record FlushChain(NftTable table, String name) implements NftOp {
    public FlushChain {
      Objects.requireNonNull(table);
      NftNames.checkName(name);
    }
  }

  /** Deletes an empty, unreferenced chain. */
  record DeleteChain(NftTable table, String name) implements NftOp {
    public DeleteChain {
      Objects.requireNonNull(table);
      NftNames.checkName(name);
    }
  }

  /** Appends a rule to a chain. */
  record AddRule(NftTable table, String chain, NftRule rule) implements NftOp {
    public AddRule {
      Objects.requireNonNull(table);
      NftNames.checkName(chain);
      Objects.requireNonNull(rule);
    }
  }

  /**
   * Creates a set if absent. {@code timeoutSeconds} is 0 for none; {@code flags} such as
   * {@code interval}, {@code dynamic}, {@code timeout}.
   */
  record AddSet(
      NftTable table,
      String name,
      NftType keyType,
      ImmutableSortedSet<String> flags,
      int timeoutSeconds,
      int size,
      String comment)
      implements NftOp {
    public AddSet {
      checkArgument(size >= 0, "size must not be negative");
      Objects.requireNonNull(table);
      NftNames.checkName(name);
      Objects.requireNonNull(keyType);
      flags = flags == null ? ImmutableSortedSet.of() : flags;
      checkArgument(timeoutSeconds >= 0, "timeout must not be negative");
      comment = comment == null ? null : NftNames.sanitizeComment(comment);
    }
  }

  /** Creates a map (a verdict map when the value type is {@code verdict}) if absent. */
  record AddMap(
      NftTable table,
      String name,
      NftType keyType,
      NftType valueType,
      ImmutableSortedSet<String> flags,
      int size,
      String comment)
      implements NftOp {
    public AddMap {
      Objects.requireNonNull(table);
      NftNames.checkName(name);
      Objects.requireNonNull(keyType);
      Objects.requireNonNull(valueType);
      flags = flags == null ? ImmutableSortedSet.of() : flags;
      checkArgument(size >= 0, "size must not be negative");
      comment = comment == null ? null : NftNames.sanitizeComment(comment);
    }

    /** A map of nft's default size. */
    public AddMap(NftTable table, String name, NftType keyType, NftType valueType,
        ImmutableSortedSet<String> flags, String comment) {
      this(table, name, keyType, valueType, flags, 0, comment);
    }

    public boolean verdictMap() {
      return !valueType.typeOf() && valueType.expression().equals("verdict");
    }
  }

  /** Deletes an unreferenced set ({@code map} tells the renderer which keyword to use). */
  record DeleteSet(NftTable table, String name, boolean map) implements NftOp {
    public DeleteSet {
      Objects.requireNonNull(table);
      NftNames.checkName(name);
    }
  }

  /** Removes every element of a set or map. */
  record FlushSet(NftTable table, String name, boolean map) implements NftOp {
    public FlushSet {
      Objects.requireNonNull(table);
      NftNames.checkName(name);
    }
  }

  /** Adds an element to a set or map; adding an equal element again is a no-op. */
  record AddElement(NftTable table, String set, NftElement element) implements NftOp {
    public AddElement {
      Objects.requireNonNull(table);
      NftNames.checkName(set);
      Objects.requireNonNull(element);
    }
  }

  /** Deletes the element with {@code key}; fails if absent. */
  record DeleteElement(NftTable table, String set, ImmutableList<String> key) implements NftOp {
    public DeleteElement {
      Objects.requireNonNull(table);
      NftNames.checkName(set);
      checkArgument(key != null && !key.isEmpty(), "key must be set");
    }
  }
}
