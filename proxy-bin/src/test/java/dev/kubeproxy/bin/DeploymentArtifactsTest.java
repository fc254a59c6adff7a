package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.bin.cli.KubeProxyCommand;
import dev.kubeproxy.bin.config.EffectiveConfig;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import io.kubernetes.client.util.Yaml;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/: the DaemonSet manifest read by the official client's models, its arguments accepted
 * by the binary, and the privileges and mounts node setup needs; the Dockerfile copies the jar
 * the build makes. (No Docker engine or cluster here: the image is not built, nothing is applied.)
 */
class DeploymentArtifactsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");

  private static List<Object> manifests() throws IOException {
    return Yaml.loadAll(Files.readString(DEPLOY.resolve("daemonset.yaml")));
  }

  private static <T> T only(List<Object> objects, Class<T> type) {
    List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as(type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  @Test
  @DisplayName("daemonset.yaml parses as a ServiceAccount, ClusterRole, ClusterRoleBinding and DaemonSet; the container's args are accepted by the binary")
  void daemonSetArgsParse() throws IOException {
    List<Object> objects = manifests();
    V1DaemonSet ds = only(objects, V1DaemonSet.class);
    only(objects, V1ServiceAccount.class);
    V1Container container = ds.getSpec().getTemplate().getSpec().getContainers().get(0);

    List<String> args =
        container.getArgs().stream().map(a -> a.replace("$(NODE_NAME)", "node-a")).toList();
    KubeProxyCommand command = new KubeProxyCommand();
    command.hostname = () -> "unused";
    Main.commandLine(command).parseArgs(args.toArray(String[]::new));
    EffectiveConfig config = command.effectiveConfig();

    assertThat(config.proxy().nodeName()).isEqualTo("node-a");
    assertThat(config.warnings()).as("every argument is honoured").isEmpty();
    assertThat(container.getLivenessProbe().getHttpGet().getPort().getIntValue())
        .isEqualTo(config.healthzBindAddress().port());
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/livez");
  }

  @Test
  @DisplayName("the DaemonSet has upstream's privileges for node setup: host network, privileged, xtables lock and /lib/modules mounted")
  void privileges() throws IOException {
    V1DaemonSet ds = only(manifests(), V1DaemonSet.class);
    V1Container container = ds.getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(ds.getSpec().getTemplate().getSpec().getHostNetwork()).isTrue();
    assertThat(container.getSecurityContext().getPrivileged()).isTrue();
    assertThat(container.getVolumeMounts().stream().map(V1VolumeMount::getMountPath))
        .contains("/run/xtables.lock", "/lib/modules");
  }

  @Test
  @DisplayName("the ClusterRole grants list/watch on services, endpointslices, nodes and servicecidrs, and event creation, nothing more")
  void rbac() throws IOException {
    V1ClusterRole role = only(manifests(), V1ClusterRole.class);

    assertThat(role.getRules()).allSatisfy(rule -> assertThat(rule.getVerbs())
        .isSubsetOf("list", "watch", "create", "patch", "update"));
    assertThat(role.getRules().stream().flatMap(r -> r.getResources().stream()))
        .containsExactlyInAnyOrder("services", "nodes", "endpointslices", "servicecidrs", "events");
    for (V1PolicyRule rule : role.getRules()) {
      if (!rule.getResources().contains("events")) {
        assertThat(rule.getVerbs()).containsExactlyInAnyOrder("list", "watch");
      }
    }
  }

  @Test
  @DisplayName("the Dockerfile copies the jar the build makes and has the tools of both built modes")
  void dockerfile() throws IOException {
    String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));

    assertThat(dockerfile).contains("COPY proxy-bin/target/kube-proxy-java.jar")
        .contains("nftables").contains("iptables").contains("conntrack");
    assertThat(Path.of("pom.xml")).content().contains("<finalName>kube-proxy-java</finalName>");
  }

  @Test
  @DisplayName("the launcher starts the heap small on a large node, and wider than HeapTrim's ratios")
  void launcherHeapCanShrinkToItsState(@TempDir Path dir) throws Exception {
    // The serial collector never shrinks below the initial heap, which by default is 1/64 of
    // the machine's memory: 4 GiB on this simulated 256 GiB node. The launcher runs beside a
    // jar holding only a manifest (java reads it before -version exits).
    Path script = Files.copy(Path.of("src/main/sh/kube-proxy-java"), dir.resolve("kube-proxy-java"));
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    new JarOutputStream(Files.newOutputStream(dir.resolve("kube-proxy-java.jar")), manifest).close();
    ProcessBuilder builder = new ProcessBuilder("sh", script.toString());
    builder.environment().put("JAVA_OPTS", "-XX:MaxRAM=256g -XX:+PrintFlagsFinal -version");
    builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin")
        + File.pathSeparator + System.getenv("PATH"));
    Process process = builder.redirectErrorStream(true).start();
    String flags = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as(flags).isZero();

    assertThat(flag(flags, "InitialHeapSize")).isLessThanOrEqualTo(64L << 20);
    assertThat(flag(flags, "MinHeapFreeRatio")).isGreaterThan(HeapTrim.MIN_FREE);
    assertThat(flag(flags, "MaxHeapFreeRatio")).isGreaterThan(HeapTrim.MAX_FREE);
  }

  private static long flag(String printFlagsFinal, String name) {
    return printFlagsFinal.lines().map(String::trim)
        .filter(line -> line.matches("\\S+ +" + name + " += .*"))
        .map(line -> Long.parseLong(line.split("=")[1].trim().split("\\s+")[0]))
        .findFirst().orElseThrow(() -> new AssertionError(name + " not in " + printFlagsFinal));
  }
}
