package dev.kubeproxy.api;

/** What happens to new connections when an endpoint list is empty. */
public enum EmptyVerdict {
  /** Nothing usable anywhere: ICMP port unreachable / TCP reset. */
  REJECT,
  /** A Local traffic policy with no local endpoint while others exist elsewhere: silent drop. */
  DROP
}
