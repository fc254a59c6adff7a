package dev.kubeproxy.ipvs;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;

/**
 * One change of the IPVS table: a virtual service or a real server added, edited or deleted, or the
 * connection timeouts set.
 */
public sealed interface IpvsOp {
  /** The {@code ipvsadm} arguments (one line of {@code ipvsadm -R}) that carry it out. */
  ImmutableList<String> args();

  /** Adds a virtual service. */
  record AddService(VirtualServer service, ServiceConfig config) implements IpvsOp {
    @Override
    public ImmutableList<String> args() {
      return ImmutableList.<String>builder()
          .add("-A")
          .addAll(service.option())
          .addAll(config.options())
          .build();
    }
  }

  /** Changes an existing virtual service's scheduler, flags or persistence. */
  record EditService(VirtualServer service, ServiceConfig config) implements IpvsOp {
    @Override
    public ImmutableList<String> args() {
      return ImmutableList.<String>builder()
          .add("-E")
          .addAll(service.option())
          .addAll(config.options())
          .build();
    }
  }

  /** Deletes a virtual service, with its real servers. */
  record DeleteService(VirtualServer service) implements IpvsOp {
    @Override
    public ImmutableList<String> args() {
      return ImmutableList.<String>builder().add("-D").addAll(service.option()).build();
    }
  }

  /** Adds a real server, masquerading (NAT), with a weight. */
  record AddServer(RealServer server, int weight) implements IpvsOp {
    public AddServer {
      checkArgument(weight >= 0, "negative weight");
    }

    @Override
    public ImmutableList<String> args() {
      return ImmutableList.<String>builder()
          .add("-a")
          .addAll(server.option())
          .add("-m", "-w", Integer.toString(weight))
          .build();
    }
  }

  /** Changes a real server's weight (0 drains it: graceful termination). */
  record EditServer(RealServer server, int weight) implements IpvsOp {
    public EditServer {
      checkArgument(weight >= 0, "negative weight");
    }

    @Override
    public ImmutableList<String> args() {
      return ImmutableList.<String>builder()
          .add("-e")
          .addAll(server.option())
          .add("-m", "-w", Integer.toString(weight))
          .build();
    }
  }

  /** Deletes a real server. */
  record DeleteServer(RealServer server) implements IpvsOp {
    @Override
    public ImmutableList<String> args() {
      return ImmutableList.<String>builder().add("-d").addAll(server.option()).build();
    }
  }

  /** Sets the IPVS TCP, TCP FIN and UDP timeouts in seconds (0 keeps the kernel's). */
  record SetTimeouts(int tcp, int tcpFin, int udp) implements IpvsOp {
    public SetTimeouts {
      checkArgument(tcp >= 0 && tcpFin >= 0 && udp >= 0, "negative timeout");
    }

    @Override
    public ImmutableList<String> args() {
      return ImmutableList.of(
          "--set", Integer.toString(tcp), Integer.toString(tcpFin), Integer.toString(udp));
    }
  }
}
