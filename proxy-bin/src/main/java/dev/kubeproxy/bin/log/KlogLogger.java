package dev.kubeproxy.bin.log;

import java.time.Instant;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** An SLF4J logger writing through {@link LogOutput}. */
final class KlogLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  KlogLogger(String name) {
    this.name = name;
  }

  @Override
  public boolean isTraceEnabled() {
    return LogOutput.enabled(name, Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return LogOutput.enabled(name, Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return LogOutput.enabled(name, Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return LogOutput.enabled(name, Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return LogOutput.enabled(name, Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] args, Throwable thrown) {
    String message = MessageFormatter.basicArrayFormat(pattern, args);
    LogOutput.write(name, level, message, thrown, Instant.now());
  }
}
