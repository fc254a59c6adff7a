package dev.kubeproxy.nftables;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * One rule's text (matches and statements, as nft writes them) and an optional comment saying
 * what traffic it handles. The text is built by this package from typed values only.
 */
public record NftRule(String text, String comment) {
  public NftRule {
    checkArgument(text != null && !text.isBlank(), "rule text must be set");
    checkArgument(text.indexOf('\n') < 0 && text.indexOf(';') < 0, "rule text must be one statement");
    comment = comment == null ? null : NftNames.sanitizeComment(comment);
  }

  public static NftRule of(String text) {
    return new NftRule(text, null);
  }

  public static NftRule of(String text, String comment) {
    return new NftRule(text, comment);
  }
}
