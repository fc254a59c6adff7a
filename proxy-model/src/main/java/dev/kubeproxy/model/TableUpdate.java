package dev.kubeproxy.model;

import com.google.common.collect.ImmutableSet;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.ServicePortKey;

/** A rebuilt table and the keys whose entries were added, changed or removed. */
public record TableUpdate(ForwardingTable table, ImmutableSet<ServicePortKey> changedKeys) {}
