package dev.kubeproxy.bin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.bin.cli.KubeProxyCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing silent: --dry-run counts what became of every object on stderr; stdout stays the render. */
class DryRunSummaryTest {
  @TempDir Path dir;

  @Test
  @DisplayName("--dry-run: stdout is the pure render, stderr one line counting programmed, skipped and ignored")
  void summaryLine() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080}]
        endpoints: [{addresses: [10.244.1.10]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: wraps, namespace: default}
        spec: {clusterIP: 10.96.0.11, ports: [{port: 4294967376}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: default}
        spec: {clusterIP: None, ports: [{port: 5432}]}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        """);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine(new KubeProxyCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));

    int code = cl.execute("--manifests", dir.toString(), "--hostname-override", "node-1", "--dry-run");

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("10.96.0.10").doesNotContain("10.96.0.11").doesNotContain("programmed");
    assertThat(err.toString().lines().filter(l -> l.contains("manifests:")))
        .containsExactly(Main.NAME + ": manifests: 2 programmed, 1 skipped with a reason,"
            + " 2 ignored by rule (1 another kind, 1 headless)");
  }
}
