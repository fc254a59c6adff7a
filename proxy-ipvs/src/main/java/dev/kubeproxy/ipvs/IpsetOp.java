package dev.kubeproxy.ipvs;

/** One change of the ipsets: a set created, flushed or destroyed, or a member added or deleted. */
public sealed interface IpsetOp {
  /** The line of {@code ipset restore} that carries it out. */
  String line();

  /** Creates a set (the tool runs with {@code -exist}: an identical set is kept as it is). */
  record Create(IpsetDef set) implements IpsetOp {
    @Override
    public String line() {
      return "create " + set.name() + " " + set.type() + " " + set.createOptions();
    }
  }

  /** Adds a member. */
  record Add(IpsetEntry entry) implements IpsetOp {
    @Override
    public String line() {
      return "add " + entry.set() + " " + entry.member();
    }
  }

  /** Deletes a member. */
  record Del(IpsetEntry entry) implements IpsetOp {
    @Override
    public String line() {
      return "del " + entry.set() + " " + entry.member();
    }
  }

  /** Empties a set. */
  record Flush(String set) implements IpsetOp {
    @Override
    public String line() {
      return "flush " + set;
    }
  }

  /** Destroys a set (only once no iptables rule refers to it). */
  record Destroy(String set) implements IpsetOp {
    @Override
    public String line() {
      return "destroy " + set;
    }
  }
}
