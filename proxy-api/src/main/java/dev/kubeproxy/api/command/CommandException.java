package dev.kubeproxy.api.command;

/** A command could not be run, timed out, or exited non-zero; the message holds its stderr. */
public final class CommandException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;
  private final String stderr;

  public CommandException(Command command, int exitCode, String stderr) {
    super("'" + command + "' exited " + exitCode + (stderr.isBlank() ? "" : ": " + stderr.strip()));
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  public CommandException(Command command, String problem, Throwable cause) {
    super("'" + command + "' " + problem, cause);
    this.exitCode = -1;
    this.stderr = "";
  }

  /** The exit code, or -1 when the command did not run to completion. */
  public int exitCode() {
    return exitCode;
  }

  public String stderr() {
    return stderr;
  }
}
