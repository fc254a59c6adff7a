package dev.kubeproxy.api;

import java.util.regex.Pattern;

/**
 * The API server's name syntaxes (DNS-1123 label and subdomain, DNS-1035 label, label value),
 * checked the same way for every source so that a name the API server would refuse never
 * reaches a rule.
 */
public final class KubernetesNames {
  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
  private static final int MAX_LABEL = 63;
  private static final int MAX_SUBDOMAIN = 253;

  private KubernetesNames() {}

  /** Lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 long. */
  public static boolean isDns1123Label(String value) {
    return value != null && value.length() <= MAX_LABEL && DNS1123_LABEL.matcher(value).matches();
  }

  /** As a DNS-1123 label, but starting with a letter (Service names). */
  public static boolean isDns1035Label(String value) {
    return value != null && value.length() <= MAX_LABEL && DNS1035_LABEL.matcher(value).matches();
  }

  /** DNS-1123 labels joined by '.', at most 253 long (most object names). */
  public static boolean isDns1123Subdomain(String value) {
    return value != null
        && value.length() <= MAX_SUBDOMAIN
        && DNS1123_SUBDOMAIN.matcher(value).matches();
  }

  /** A label value: empty, or alphanumerics with '-', '_', '.' inside, at most 63 long. */
  public static boolean isLabelValue(String value) {
    return value != null && value.length() <= MAX_LABEL && LABEL_VALUE.matcher(value).matches();
  }

  /** Throws naming {@code object} and {@code field} unless {@code value} is a DNS-1123 label. */
  static void checkDns1123Label(String value, String object, String field) {
    if (!isDns1123Label(value)) {
      throw new InvalidObjectException(object, field, quote(value) + " is not a DNS-1123 label"
          + " (lowercase letters, digits and '-', at most 63)");
    }
  }

  /** Throws naming {@code object} and {@code field} unless {@code value} is a DNS-1035 label. */
  static void checkDns1035Label(String value, String object, String field) {
    if (!isDns1035Label(value)) {
      throw new InvalidObjectException(object, field, quote(value) + " is not a DNS-1035 label"
          + " (a lowercase letter, then lowercase letters, digits and '-', at most 63)");
    }
  }

  /** Throws naming {@code object} and {@code field} unless {@code value} is a DNS-1123 subdomain. */
  static void checkDns1123Subdomain(String value, String object, String field) {
    if (!isDns1123Subdomain(value)) {
      throw new InvalidObjectException(object, field, quote(value) + " is not a DNS-1123 subdomain"
          + " (lowercase letters, digits, '-' and '.', at most 253)");
    }
  }

  /** {@code kind namespace/name} for a log line, with control characters escaped. */
  static String describe(String kind, String namespace, String name) {
    return kind + " " + printable(namespace) + "/" + printable(name);
  }

  /** {@code value} shortened and with control characters escaped, for a log line. */
  public static String printable(String value) {
    String quoted = quote(value);
    return value == null ? quoted : quoted.substring(1, quoted.length() - 1);
  }

  /**
   * {@code text} safe for one log line: control characters escaped ({@code \x0a}), and cut
   * at {@code max} characters.
   */
  public static String oneLine(String text, int max) {
    if (text == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder();
    int limit = Math.min(text.length(), max);
    for (int i = 0; i < limit; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029 || c == 0x85) {
        b.append(c > 0xff ? String.format("\\u%04x", (int) c) : String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (text.length() > limit) {
      b.append("...");
    }
    return b.toString();
  }

  /** The value in single quotes, shortened and with control characters escaped, for a log line. */
  static String quote(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("'");
    int limit = Math.min(value.length(), 80);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    if (value.length() > limit) {
      b.append("...");
    }
    return b.append('\'').toString();
  }
}
