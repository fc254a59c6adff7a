package dev.kubeproxy.model.conformance;

import static com.google.common.base.Preconditions.checkState;

import dev.kubeproxy.api.testing.lab.KernelTest;
import java.lang.reflect.Method;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Runs a {@link LabSuite}'s tests the conformance way: a test that {@link Requires} a capability
 * the suite excludes prints {@code EXCLUDED <suite>.<test> for <mode>: <reason>} and passes
 * without running (never reported skipped: CI fails skips), and a failing test carries what the
 * backend programmed, so a failure report shows the rules it met.
 */
final class ConformanceExtension
    implements BeforeAllCallback, InvocationInterceptor, TestExecutionExceptionHandler {

  /** Suites need root and namespaces: only {@link KernelTest}s may run them (they skip cleanly). */
  @Override
  public void beforeAll(ExtensionContext context) {
    Class<?> testClass = context.getRequiredTestClass();
    checkState(
        testClass.isAnnotationPresent(KernelTest.class),
        "%s runs lab tests, so it must be annotated @KernelTest",
        testClass.getName());
  }

  @Override
  public void interceptTestMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext extensionContext)
      throws Throwable {
    runUnlessExcluded(invocation, invocationContext, extensionContext);
  }

  @Override
  public void interceptTestTemplateMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext extensionContext)
      throws Throwable {
    runUnlessExcluded(invocation, invocationContext, extensionContext);
  }

  private static void runUnlessExcluded(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext extensionContext)
      throws Throwable {
    LabSuite suite = (LabSuite) extensionContext.getRequiredTestInstance();
    Method test = invocationContext.getExecutable();
    Optional<String> reason = suite.exclusions().reasonToExclude(test);
    if (reason.isPresent()) {
      System.out.println(Exclusions.line(test, suite.mode(), reason.get()));
      invocation.skip();
    } else {
      invocation.proceed();
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable throwable)
      throws Throwable {
    LabSuite suite = (LabSuite) context.getRequiredTestInstance();
    if (suite.cluster != null) {
      throwable.addSuppressed(
          new Programmed(
              "what " + suite.mode() + " programmed in the node:\n" + suite.cluster.programmed()));
    }
    throw throwable;
  }

  /** The backend's listing, attached to a failure; its stack trace would say nothing. */
  private static final class Programmed extends Exception {
    private static final long serialVersionUID = 1L;

    Programmed(String listing) {
      super(listing, null, false, false);
    }
  }
}
