package dev.kubeproxy.api.testing.lab;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Applies {@link KernelTestGate#current()}: disables the test on SKIP, and throws before the
 * class's (or method's) set-up on FAIL, so the test is reported failed rather than skipped.
 */
public final class KernelTestExtension
    implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback {
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    KernelTestGate.Decision decision = KernelTestGate.current();
    return decision.verdict() == KernelTestGate.Verdict.SKIP
        ? ConditionEvaluationResult.disabled(decision.reason())
        : ConditionEvaluationResult.enabled(decision.reason());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    failIfRequired();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    failIfRequired();
  }

  private static void failIfRequired() {
    KernelTestGate.Decision decision = KernelTestGate.current();
    if (decision.verdict() == KernelTestGate.Verdict.FAIL) {
      throw new AssertionError(decision.reason());
    }
  }
}
