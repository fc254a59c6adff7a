package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.hash.Hashing;
import com.google.common.io.BaseEncoding;
import dev.kubeproxy.api.ServicePortKey;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** Object names and comments: upstream's hashed per-service names and comment sanitising. */
public final class NftNames {
  private static final int MAX_NAME = 240;
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

  /** Upstream's per-service-port base: {@code ns/name/proto/port}. */
  public static String servicePortBase(ServicePortKey key) {
    return key.service().namespace()
        + "/"
        + key.service().name()
        + "/"
        + key.protocol().lowerName()
        + "/"
        + key.portName();
  }

  /** A per-service-port chain name, e.g. {@code service-ULMVA6XW-ns1/svc1/tcp/p80}. */
  public static String serviceChain(String prefix, ServicePortKey key) {
    return prefix + hashAndTruncate(servicePortBase(key));
  }

  /** {@code HASH-name}, HASH = first 8 chars of base32(sha256(name)); at most 240 chars. */
  static String hashAndTruncate(String name) {
    byte[] digest = Hashing.sha256().hashString(name, StandardCharsets.UTF_8).asBytes();
    String hashed = BaseEncoding.base32().encode(digest).substring(0, 8) + "-" + name;
    return hashed.length() > MAX_NAME ? hashed.substring(0, MAX_NAME - 3) + "..." : hashed;
  }
}
