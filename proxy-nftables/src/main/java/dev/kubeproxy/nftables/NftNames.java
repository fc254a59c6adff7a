package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.regex.Pattern;

/**
 * Object names and comments. No kernel name is derived from a service port's key (the layout's
 * names are fixed or built from numbers), so distinct keys can never share an object.
 */
public final class NftNames {
  private static final int MAX_COMMENT = 128;
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_./:-]*");
  private static final Pattern NOT_COMMENT = Pattern.compile("[^A-Za-z0-9 ./:_-]");

  private NftNames() {}

  /** Throws unless {@code name} is a valid chain, set or map name of this package. */
  public static void checkName(String name) {
    checkArgument(
        name != null && name.length() <= 256 && NAME.matcher(name).matches(),
        "bad nftables object name '%s'",
        name);
  }

  /** Keeps only {@code [A-Za-z0-9 ./:_-]} (so a comment cannot break out of its quotes). */
  public static String sanitizeComment(String comment) {
    String clean = NOT_COMMENT.matcher(comment).replaceAll("");
    return clean.length() > MAX_COMMENT ? clean.substring(0, MAX_COMMENT) : clean;
  }
}
