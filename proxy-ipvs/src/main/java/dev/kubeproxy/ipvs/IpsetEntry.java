package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Comparator;
import java.util.regex.Pattern;

/**
 * One member of one ipset, in the text {@code ipset save} prints it as ({@code 10.96.0.10,tcp:80},
 * {@code 30080}, {@code 10.244.1.2,tcp:8080,10.244.1.2}).
 */
public record IpsetEntry(String set, String member) implements Comparable<IpsetEntry> {
  private static final Pattern MEMBER = Pattern.compile("[0-9a-z.:,/]+");
  private static final Comparator<IpsetEntry> ORDER =
      Comparator.comparing(IpsetEntry::set).thenComparing(IpsetEntry::member);

  public IpsetEntry {
    checkNotNull(set, "set");
    checkNotNull(member, "member");
    checkArgument(MEMBER.matcher(member).matches(), "bad ipset member '%s'", member);
  }

  @Override
  public int compareTo(IpsetEntry o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return set + " " + member;
  }
}
