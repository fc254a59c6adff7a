package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import dev.kubeproxy.api.IpFamily;

/** An ipset's definition: name, type and family, as its {@code create} line states them. */
public record IpsetDef(String name, String type, IpFamily family, String comment) {
  /** The longest ipset name the kernel accepts. */
  public static final int MAX_NAME = 31;

  public IpsetDef {
    checkNotNull(name, "name");
    checkArgument(name.length() <= MAX_NAME && name.matches("[A-Z0-9-]+"), "bad set name %s", name);
    checkArgument(type.matches("(hash|bitmap):[a-z,]+"), "bad set type %s", type);
    checkNotNull(family, "family");
    checkNotNull(comment, "comment");
  }

  public boolean bitmap() {
    return type.startsWith("bitmap:");
  }

  /** The {@code create} line's arguments after {@code create NAME TYPE}. */
  String createOptions() {
    return bitmap()
        ? "range 0-65535"
        : "family " + (family == IpFamily.V4 ? "inet" : "inet6") + " hashsize 1024 maxelem 65536";
  }
}
