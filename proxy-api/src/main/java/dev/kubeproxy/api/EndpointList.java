package dev.kubeproxy.api;

import com.google.common.collect.ImmutableList;

/**
 * The endpoints one kind of traffic may reach, in load-balancing order, and what happens when
 * there are none.
 */
public record EndpointList(ImmutableList<ServiceEndpoint> endpoints, EmptyVerdict ifEmpty) {
  public static final EndpointList REJECTING = new EndpointList(ImmutableList.of(), EmptyVerdict.REJECT);

  public EndpointList {
    if (endpoints == null || ifEmpty == null) {
      throw new IllegalArgumentException("endpoints and ifEmpty must be set");
    }
  }

  public boolean isEmpty() {
    return endpoints.isEmpty();
  }

  public int size() {
    return endpoints.size();
  }

  @Override
  public String toString() {
    return endpoints.isEmpty() ? "(none: " + ifEmpty + ")" : endpoints.toString();
  }
}
