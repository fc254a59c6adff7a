package dev.kubeproxy.bin.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.kubeproxy.bin.config.LogSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** The binary's logging: -v onto SLF4J levels, klog-like text, upstream's JSON. */
class LogOutputTest {
  private static final Instant AT = Instant.parse("2026-12-04T19:02:30.123456Z");

  @AfterEach
  void reset() {
    LogOutput.apply(LogSettings.DEFAULTS);
    LogOutput.redirect(null);
  }

  @Test
  @DisplayName("-v 0-1 shows info, 2-4 debug, 5 and up trace; the client's informer cache stays quiet below ERROR")
  void verbosity() {
    assertThat(LogOutput.level(0)).isEqualTo(Level.INFO);
    assertThat(LogOutput.level(1)).isEqualTo(Level.INFO);
    assertThat(LogOutput.level(2)).isEqualTo(Level.DEBUG);
    assertThat(LogOutput.level(4)).isEqualTo(Level.DEBUG);
    assertThat(LogOutput.level(5)).isEqualTo(Level.TRACE);

    LogOutput.apply(new LogSettings(0, "text"));
    assertThat(LogOutput.enabled("a.B", Level.INFO)).isTrue();
    assertThat(LogOutput.enabled("a.B", Level.DEBUG)).isFalse();
    LogOutput.apply(new LogSettings(4, "text"));
    assertThat(LogOutput.enabled("a.B", Level.DEBUG)).isTrue();
    assertThat(LogOutput.enabled("a.B", Level.TRACE)).isFalse();
    assertThat(LogOutput.enabled("io.kubernetes.client.informer.cache.Controller", Level.ERROR)).isFalse();
  }

  @Test
  @DisplayName("text lines are klog's: severity letter, MMDD time with microseconds, pid, logger, message")
  void klogText() {
    String line = LogOutput.text("dev.kubeproxy.bin.ProxyRunner", Level.WARN, "no Node", null, AT);

    assertThat(line).matches("W1204 19:02:30\\.123456 +\\d+ ProxyRunner\\] no Node");
    assertThat(LogOutput.text("x.Y", Level.ERROR, "bad", new IOException("boom"), AT))
        .startsWith("E1204").contains("Y] bad err=\"java.io.IOException: boom\"");
  }

  @Test
  @DisplayName("json lines carry ts, caller, msg and v (err for errors), as upstream's JSON format")
  void json() {
    JsonObject info = JsonParser.parseString(LogOutput.json("a.B", Level.INFO, "hi \"there\"", null, AT)).getAsJsonObject();
    JsonObject error = JsonParser.parseString(LogOutput.json("a.B", Level.ERROR, "bad", new IOException("boom"), AT)).getAsJsonObject();

    assertThat(info.get("ts").getAsDouble()).isEqualTo(AT.getEpochSecond() + 0.123456);
    assertThat(info.get("caller").getAsString()).isEqualTo("B");
    assertThat(info.get("msg").getAsString()).isEqualTo("hi \"there\"");
    assertThat(info.get("v").getAsInt()).isZero();
    assertThat(error.has("v")).isFalse();
    assertThat(error.get("err").getAsString()).isEqualTo("java.io.IOException: boom");
  }

  @Test
  @DisplayName("SLF4J loggers of the binary go through it: the level applies after start, the format switches")
  void throughSlf4j() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    LogOutput.redirect(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    Logger log = LoggerFactory.getLogger("dev.kubeproxy.bin.Probe");

    log.debug("hidden {}", 1);
    LogOutput.apply(new LogSettings(2, "json"));
    log.debug("shown {}", 2);

    String out = buffer.toString(StandardCharsets.UTF_8);
    assertThat(out).doesNotContain("hidden");
    assertThat(JsonParser.parseString(out.strip()).getAsJsonObject().get("msg").getAsString()).isEqualTo("shown 2");
  }
}
