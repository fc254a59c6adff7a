package dev.kubeproxy.ipvs.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM's QEMU command line keeps it off every network and bounded (no VM needed). */
class IpvsVmTest {
  @TempDir Path dir;

  @Test
  void qemuGetsNoNetworkDeviceAndOnlyTheAgentPort() throws IOException {
    VmImage image =
        new VmImage(Files.createFile(dir.resolve("vmlinuz")), Files.createFile(dir.resolve("i")));

    ImmutableList<String> argv = IpvsVm.qemuArgv(image, dir);

    assertThat(argv).containsSequence("-nic", "none").contains("-nodefaults", "-no-reboot");
    assertThat(argv).containsSequence("-accel", "tcg,thread=multi");
    assertThat(argv)
        .noneMatch(arg -> arg.startsWith("-net"))
        .noneMatch(arg -> arg.contains("hostfwd") || arg.contains("enable-kvm"));
    assertThat(argv)
        .contains("socket,id=agent,path=" + dir.resolve("agent.sock") + ",server=on,wait=off");
    assertThat(argv.get(argv.indexOf("-append") + 1)).contains("kpj.poweroff_on_disconnect");
  }

  @Test
  void aSocketPathQemuWouldSplitIsRejected() throws IOException {
    Path odd = Files.createDirectory(dir.resolve("a,b"));
    VmImage image =
        new VmImage(Files.createFile(dir.resolve("vmlinuz")), Files.createFile(dir.resolve("i")));

    assertThatThrownBy(() -> IpvsVm.qemuArgv(image, odd))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("comma");
  }

  @Test
  void theRepositoryRootIsFoundFromAModuleDirectory() throws IOException {
    Path script = dir.resolve(VmImage.SCRIPT);
    Files.createDirectories(script.getParent());
    Files.createFile(script);
    Path module = Files.createDirectories(dir.resolve("proxy-ipvs/target"));

    assertThat(VmImage.repositoryRoot(module)).isEqualTo(dir);
    assertThatThrownBy(() -> VmImage.repositoryRoot(dir.getRoot().resolve("proc")))
        .isInstanceOf(IOException.class);
  }
}
