package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where NodePorts answer (upstream's {@code nodePortAddresses}), parsed once: every local
 * address, the node's primary IPs ({@code primary}), or the local addresses inside some CIDRs.
 * A table holds the resolved form for its family ({@link #forFamily}): never {@code primary}.
 */
public record NodePortAddresses(Kind kind, ImmutableList<Cidr> cidrs) {
  /** The three forms of the setting. */
  public enum Kind {
    ALL,
    PRIMARY,
    CIDRS
  }

  /** The word that stands for the node's primary IPs. */
  public static final String PRIMARY_WORD = "primary";

  /** Every local address: upstream's default. */
  public static final NodePortAddresses ALL = new NodePortAddresses(Kind.ALL, ImmutableList.of());

  /** The node's primary IP of each family. */
  public static final NodePortAddresses PRIMARY =
      new NodePortAddresses(Kind.PRIMARY, ImmutableList.of());

  public NodePortAddresses {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(cidrs, "cidrs");
    if ((kind == Kind.CIDRS) == cidrs.isEmpty()) {
      throw new IllegalArgumentException(kind + " node port addresses with CIDRs " + cidrs);
    }
  }

  /** The local addresses inside {@code cidrs} (duplicates dropped); at least one CIDR. */
  public static NodePortAddresses cidrs(Collection<Cidr> cidrs) {
    return new NodePortAddresses(Kind.CIDRS, ImmutableList.copyOf(new LinkedHashSet<>(cidrs)));
  }

  /** {@link #cidrs(Collection)} of the given CIDR texts. */
  public static NodePortAddresses cidrs(String... cidrs) {
    return parse(List.of(cidrs));
  }

  /**
   * Parses the flag's or config file's entries as upstream validates them: each a CIDR (with a
   * prefix length), or the single entry {@code primary}; none means every address.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static NodePortAddresses parse(List<String> entries) {
    Set<Cidr> cidrs = new LinkedHashSet<>();
    boolean primary = false;
    for (String entry : entries) {
      String text = entry == null ? "" : entry.strip();
      if (text.equals(PRIMARY_WORD)) {
        primary = true;
        continue;
      }
      if (text.indexOf('/') < 0) {
        throw notCidr(text);
      }
      try {
        cidrs.add(Cidr.parse(text));
      } catch (IllegalArgumentException e) {
        throw notCidr(text);
      }
    }
    if (primary && (!cidrs.isEmpty() || entries.size() > 1)) {
      throw new IllegalArgumentException("can't use both '" + PRIMARY_WORD + "' and CIDRs");
    }
    if (primary) {
      return PRIMARY;
    }
    return cidrs.isEmpty() ? ALL : cidrs(cidrs);
  }

  private static IllegalArgumentException notCidr(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not a CIDR or '" + PRIMARY_WORD + "'");
  }

  public boolean all() {
    return kind == Kind.ALL;
  }

  public boolean primary() {
    return kind == Kind.PRIMARY;
  }

  /**
   * The setting as a table of {@code family} holds it, as upstream resolves it per family:
   * {@code primary} becomes the host prefix of {@code primaryIp} (unless it is null or
   * loopback); only CIDRs of the family count; none left, or a zero-length prefix, means every
   * address. The result is {@link #ALL} or CIDRs of {@code family}.
   */
  public NodePortAddresses forFamily(IpFamily family, IpAddress primaryIp) {
    Objects.requireNonNull(family, "family");
    List<Cidr> ofFamily;
    switch (kind) {
      case ALL:
        return ALL;
      case PRIMARY:
        boolean usable =
            primaryIp != null && primaryIp.family() == family && !primaryIp.isLoopback();
        return usable ? cidrs(List.of(Cidr.host(primaryIp))) : ALL;
      default:
        ofFamily = cidrs.stream().filter(c -> c.family() == family).toList();
    }
    if (ofFamily.isEmpty() || ofFamily.stream().anyMatch(c -> c.prefixLength() == 0)) {
      return ALL;
    }
    return cidrs(ofFamily);
  }

  /** Whether a NodePort answers on local address {@code address} (never true for primary). */
  public boolean matches(IpAddress address) {
    return all() || cidrs.stream().anyMatch(c -> c.contains(address));
  }

  /** The setting as upstream's config lists it: CIDRs, {@code [primary]}, or nothing. */
  public ImmutableList<String> toStrings() {
    switch (kind) {
      case ALL:
        return ImmutableList.of();
      case PRIMARY:
        return ImmutableList.of(PRIMARY_WORD);
      default:
        return cidrs.stream().map(Cidr::toString).collect(ImmutableList.toImmutableList());
    }
  }

  @Override
  public String toString() {
    return all() ? "all" : toStrings().stream().collect(Collectors.joining(","));
  }
}
