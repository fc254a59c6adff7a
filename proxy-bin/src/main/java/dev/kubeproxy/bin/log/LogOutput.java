package dev.kubeproxy.bin.log;

import com.google.gson.JsonObject;
import dev.kubeproxy.bin.config.LogSettings;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * Where and how log lines are written, shared by every logger: the threshold that {@code -v}
 * sets (0-1 info, 2-4 debug, 5 and up trace, as klog's V levels map onto SLF4J's), and the
 * format, klog-like text ({@code I1204 19:02:30.123456   4242 ProxyRunner] message}) or upstream's
 * JSON ({@code {"ts":..., "caller":..., "msg":..., "v":0}}). Lines go to stderr, as klog's do.
 */
public final class LogOutput {
  private static final DateTimeFormatter KLOG_TIME =
      DateTimeFormatter.ofPattern("MMdd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);
  // Loggers that are quieter than the threshold: the client's informers log
  // interrupted-on-shutdown as ERROR with stack traces.
  private static final Map<String, Level> QUIET = Map.of("io.kubernetes.client.informer.cache", Level.ERROR);
  private static final long PID = ProcessHandle.current().pid();

  private static volatile Level threshold = Level.INFO;
  private static volatile boolean json;
  // Null: whatever System.err is at the time (tests may replace it).
  private static volatile PrintStream stream;

  private LogOutput() {}

  /** Applies {@code -v} and {@code --logging-format}. */
  public static void apply(LogSettings settings) {
    threshold = level(settings.verbosity());
    json = settings.format().equals("json");
  }

  /** The SLF4J level that klog verbosity {@code v} shows. */
  public static Level level(int v) {
    return v >= 5 ? Level.TRACE : v >= 2 ? Level.DEBUG : Level.INFO;
  }

  /** Sends lines to {@code out} (tests); returns the previous stream. */
  static PrintStream redirect(PrintStream out) {
    PrintStream previous = stream;
    stream = out;
    return previous;
  }

  static boolean enabled(String logger, Level level) {
    if (level.toInt() < threshold.toInt()) {
      return false;
    }
    for (Map.Entry<String, Level> quiet : QUIET.entrySet()) {
      if (logger.startsWith(quiet.getKey()) && level.toInt() <= quiet.getValue().toInt()) {
        return false;
      }
    }
    return true;
  }

  static void write(String logger, Level level, String message, Throwable thrown, Instant now) {
    String line = json ? json(logger, level, message, thrown, now) : text(logger, level, message, thrown, now);
    PrintStream out = stream != null ? stream : System.err;
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  static String text(String logger, Level level, String message, Throwable thrown, Instant now) {
    char severity = switch (level) {
      case ERROR -> 'E';
      case WARN -> 'W';
      default -> 'I';
    };
    StringBuilder b = new StringBuilder();
    b.append(severity).append(KLOG_TIME.format(now));
    b.append(String.format(" %7d ", PID)).append(shortName(logger)).append("] ").append(message);
    if (thrown != null) {
      b.append(" err=\"").append(thrown).append('"');
      if (level == Level.DEBUG || level == Level.TRACE || threshold.toInt() <= Level.DEBUG.toInt()) {
        StringWriter trace = new StringWriter();
        thrown.printStackTrace(new PrintWriter(trace));
        b.append('\n').append(trace.toString().stripTrailing());
      }
    }
    return b.toString();
  }

  static String json(String logger, Level level, String message, Throwable thrown, Instant now) {
    JsonObject o = new JsonObject();
    o.addProperty("ts", now.getEpochSecond() + now.getNano() / 1e9);
    o.addProperty("caller", shortName(logger));
    o.addProperty("msg", message);
    if (level == Level.ERROR) {
      if (thrown != null) {
        o.addProperty("err", thrown.toString());
      }
    } else {
      o.addProperty("v", level == Level.TRACE ? 5 : level == Level.DEBUG ? 2 : 0);
      if (thrown != null) {
        o.addProperty("err", thrown.toString());
      }
    }
    return o.toString();
  }

  private static String shortName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }
}
