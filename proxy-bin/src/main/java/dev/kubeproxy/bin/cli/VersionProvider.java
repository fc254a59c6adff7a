package dev.kubeproxy.bin.cli;

import dev.kubeproxy.bin.BuildInfo;
import dev.kubeproxy.bin.Main;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the project version, filtered into {@code version.properties} at build time. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {Main.NAME + " " + BuildInfo.version()};
  }
}
