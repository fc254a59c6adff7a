package dev.kubeproxy.bin.node;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** In-memory {@link NodeFiles}: files as a map, every write recorded, chosen paths failing. */
final class FakeNodeFiles implements NodeFiles {
  final Map<String, String> files = new HashMap<>();
  final List<String> writes = new ArrayList<>();
  final Set<String> failing = new HashSet<>();
  boolean sysWritable = true;
  boolean initialNetns = true;
  int cpus = 8;

  @Override
  public String read(String path) throws IOException {
    String value = files.get(path);
    if (value == null) {
      throw new IOException(path + ": no such file");
    }
    return value;
  }

  @Override
  public void write(String path, String value) throws IOException {
    if (failing.contains(path)) {
      throw new IOException(path + ": permission denied");
    }
    writes.add(path + "=" + value);
    files.put(path, value);
  }

  @Override
  public boolean sysWritable() {
    return sysWritable;
  }

  @Override
  public boolean initialNetworkNamespace() {
    return initialNetns;
  }

  @Override
  public int cpus() {
    return cpus;
  }
}
