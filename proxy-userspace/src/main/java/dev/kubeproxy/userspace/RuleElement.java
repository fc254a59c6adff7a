package dev.kubeproxy.userspace;

import com.google.common.base.Preconditions;
import dev.kubeproxy.nftables.NftElement;
import java.util.Objects;

/**
 * One element of a service port in node mode's redirect table ({@link RedirectRules}): a
 * redirect of a frontend to a listener, or a firewall frontend or allowed source.
 */
public record RuleElement(String set, NftElement element) {
  public RuleElement {
    Preconditions.checkArgument(RedirectRules.PER_SERVICE_SETS.contains(set), "unknown set %s", set);
    Objects.requireNonNull(element, "element");
  }
}
