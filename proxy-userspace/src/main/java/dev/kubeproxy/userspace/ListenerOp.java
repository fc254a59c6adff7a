package dev.kubeproxy.userspace;

import dev.kubeproxy.api.EndpointList;
import dev.kubeproxy.api.SessionAffinity;
import java.util.Objects;

/**
 * One change to the proxy's listeners, as the userspace compiler emits it and {@link ProxyKernel}
 * applies it: open a listener, point an open one at a new endpoint list, or close one.
 */
public sealed interface ListenerOp {
  /** The listener the operation acts on. */
  ListenerSpec spec();

  /** The line {@code --dry-run} prints for this operation. */
  String render();

  /** Opens {@code spec}'s listener serving {@code endpoints} with {@code affinity}. */
  record Open(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity) implements ListenerOp {
    public Open {
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(endpoints, "endpoints");
      Objects.requireNonNull(affinity, "affinity");
    }

    @Override
    public String render() {
      return "open " + spec + " -> " + describe(endpoints, affinity);
    }
  }

  /** Gives the open listener of {@code spec} a new endpoint list and affinity; its socket stays. */
  record Retarget(ListenerSpec spec, EndpointList endpoints, SessionAffinity affinity) implements ListenerOp {
    public Retarget {
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(endpoints, "endpoints");
      Objects.requireNonNull(affinity, "affinity");
    }

    @Override
    public String render() {
      return "retarget " + spec + " -> " + describe(endpoints, affinity);
    }
  }

  /** Closes {@code spec}'s listener and cuts its connections. */
  record Close(ListenerSpec spec) implements ListenerOp {
    public Close {
      Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String render() {
      return "close " + spec;
    }
  }

  /** {@code 10.244.1.10:8080, 10.244.2.10:8080 (ClientIP 10800s)}, or the empty list's verdict. */
  private static String describe(EndpointList endpoints, SessionAffinity affinity) {
    if (endpoints.isEmpty()) {
      return endpoints.ifEmpty().toString();
    }
    StringBuilder out = new StringBuilder();
    endpoints.endpoints().forEach(e -> out.append(out.length() == 0 ? "" : ", ").append(e.address().withPort(e.port())));
    if (affinity.clientIp()) {
      out.append(" (ClientIP ").append(affinity.timeoutSeconds()).append("s)");
    }
    return out.toString();
  }
}
