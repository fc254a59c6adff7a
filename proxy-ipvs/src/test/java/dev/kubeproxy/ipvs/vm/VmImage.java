package dev.kubeproxy.ipvs.vm;

import static com.google.common.base.Preconditions.checkArgument;

import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandException;
import dev.kubeproxy.api.command.ProcessCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The kernel and initramfs the IPVS test VM boots: Debian's cloud kernel from /boot and the
 * initramfs scripts/ipvs-vm/build-initramfs.sh builds for it (cached by the script itself).
 */
public record VmImage(Path kernel, Path initramfs) {
  static final String SCRIPT = "scripts/ipvs-vm/build-initramfs.sh";
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);

  public VmImage {
    checkArgument(Files.isRegularFile(kernel), "no kernel image at %s", kernel);
    checkArgument(Files.isRegularFile(initramfs), "no initramfs at %s", initramfs);
  }

  /** Builds (or reuses) the initramfs under this checkout's proxy-ipvs/target directory. */
  public static VmImage build() throws IOException {
    Path root = repositoryRoot(Path.of("").toAbsolutePath());
    Path initramfs = root.resolve("proxy-ipvs/target/ipvs-vm/initramfs.cpio.gz");
    Command command =
        Command.of("bash", root.resolve(SCRIPT).toString(), initramfs.toString())
            .withTimeout(BUILD_TIMEOUT);
    String stdout;
    try {
      stdout = new ProcessCommandRunner().run(command).stdout();
    } catch (CommandException e) {
      throw new IOException("cannot build the IPVS VM's initramfs: " + e.getMessage(), e);
    }
    List<String> lines = stdout.strip().lines().toList();
    if (lines.isEmpty()) {
      throw new IOException(SCRIPT + " printed no kernel path");
    }
    return new VmImage(Path.of(lines.get(lines.size() - 1).strip()), initramfs);
  }

  /** The nearest directory at or above {@code start} that holds the build script. */
  static Path repositoryRoot(Path start) throws IOException {
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(SCRIPT))) {
        return dir;
      }
    }
    throw new IOException("no " + SCRIPT + " at or above " + start);
  }
}
