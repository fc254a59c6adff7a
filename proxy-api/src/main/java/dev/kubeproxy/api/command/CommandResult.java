package dev.kubeproxy.api.command;

/** The outcome of a finished command. */
public record CommandResult(int exitCode, String stdout, String stderr) {
  public boolean succeeded() {
    return exitCode == 0;
  }
}
