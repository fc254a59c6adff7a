package dev.kubeproxy.bin;

import dev.kubeproxy.bin.cli.KubeProxyCommand;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** The entry point of {@code kube-proxy-java}: errors are one line on stderr, as an operator greps them. */
public final class Main {
  public static final String NAME = "kube-proxy-java";
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    System.exit(commandLine(new KubeProxyCommand()).execute(args));
  }

  /**
   * The command line with its error handling: a bad flag prints {@code kube-proxy-java: reason
   * (see --help)} and exits 2; a failure while running prints {@code kube-proxy-java: reason}
   * and exits 1.
   */
  public static CommandLine commandLine(KubeProxyCommand command) {
    CommandLine cl = new CommandLine(command);
    // As Go's pflag: a flag given twice takes its last value.
    cl.setOverwrittenOptionsAllowed(true);
    cl.setParameterExceptionHandler(
        (e, args) -> {
          PrintWriter err = e.getCommandLine().getErr();
          err.println(NAME + ": " + e.getMessage() + " (see --help)");
          err.flush();
          return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
        });
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          log.debug("failed", e);
          cmd.getErr().println(NAME + ": " + e.getMessage());
          cmd.getErr().flush();
          return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
    return cl;
  }
}
