package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.CharMatcher;

/**
 * Object names and comments. No kernel name is derived from a service port's key (the layout's
 * names are fixed or built from numbers), so distinct keys can never share an object.
 */
public final class NftNames {
  private static final int MAX_COMMENT = 128;
  private static final CharMatcher LETTERS =
      CharMatcher.inRange('A', 'Z').or(CharMatcher.inRange('a', 'z')).precomputed();
  /** {@code [A-Za-z0-9_./:-]}: what names and element components are made of. */
  static final CharMatcher NAME_CHARS =
      LETTERS.or(CharMatcher.inRange('0', '9')).or(CharMatcher.anyOf("_./:-")).precomputed();
  private static final CharMatcher COMMENT_CHARS =
      NAME_CHARS.or(CharMatcher.is(' ')).precomputed();

  private NftNames() {}

  /** Throws unless {@code name} is a valid chain, set or map name of this package. */
  public static void checkName(String name) {
    checkArgument(
        name != null && !name.isEmpty() && name.length() <= 256
            && LETTERS.matches(name.charAt(0)) && NAME_CHARS.matchesAllOf(name),
        "bad nftables object name '%s'",
        name);
  }

  /** Keeps only {@code [A-Za-z0-9 ./:_-]} (so a comment cannot break out of its quotes). */
  public static String sanitizeComment(String comment) {
    String clean = COMMENT_CHARS.retainFrom(comment);
    return clean.length() > MAX_COMMENT ? clean.substring(0, MAX_COMMENT) : clean;
  }
}
