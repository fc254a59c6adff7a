package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableList;

/**
 * A set or map element: key components (joined with {@code .} in a concatenation), value
 * components for maps (empty for sets; a verdict such as {@code goto chain} for verdict maps)
 * and an optional comment. Its strings are interned: a large table's committed state holds
 * hundreds of thousands of elements whose addresses, ports, verdicts and comments repeat.
 */
public record NftElement(ImmutableList<String> key, ImmutableList<String> value, String comment) {
  // Character checks, not regular expressions: a large table builds ~200k elements per full sync.
  private static final CharMatcher KEY_PART = NftNames.NAME_CHARS;
  private static final CharMatcher VALUE_PART =
      NftNames.NAME_CHARS.or(CharMatcher.is(' ')).precomputed();

  public NftElement {
    checkArgument(key != null && !key.isEmpty(), "element key must be set");
    value = value == null ? ImmutableList.of() : value;
    for (String part : key) {
      checkArgument(!part.isEmpty() && KEY_PART.matchesAllOf(part), "bad key component '%s'",
          part);
    }
    for (String part : value) {
      checkArgument(!part.isEmpty() && VALUE_PART.matchesAllOf(part), "bad value component '%s'",
          part);
    }
    key = interned(key);
    value = interned(value);
    comment = comment == null ? null : NftNames.sanitizeComment(comment).intern();
  }

  /** {@code parts} with every string interned; {@code parts} itself when they already are. */
  private static ImmutableList<String> interned(ImmutableList<String> parts) {
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i).intern() != parts.get(i)) {
        String[] copy = parts.toArray(new String[0]);
        for (int j = i; j < copy.length; j++) {
          copy[j] = copy[j].intern();
        }
        return ImmutableList.copyOf(copy);
      }
    }
    return parts;
  }

  /** A set element. */
  public static NftElement of(String... key) {
    return new NftElement(ImmutableList.copyOf(key), ImmutableList.of(), null);
  }

  /** A copy of this element with {@code comment}. */
  public NftElement withComment(String text) {
    return new NftElement(key, value, text);
  }

  /** A map element: {@code key : value}. */
  public static NftElement mapping(ImmutableList<String> key, ImmutableList<String> value) {
    checkArgument(!value.isEmpty(), "a map element needs a value");
    return new NftElement(key, value, null);
  }

  /** The key as nft writes it: {@code 10.0.0.1 . tcp . 80}. */
  public String keyText() {
    return String.join(" . ", key);
  }

  /** The value as nft writes it, or the empty string for a set element. */
  public String valueText() {
    return String.join(" . ", value);
  }
}
