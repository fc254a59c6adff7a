package dev.kubeproxy.api.testing.lab;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test (class or method) that needs real network namespaces: tagged {@code kernel},
 * skipped with a reason when not root or when {@code ip netns} does not work, and failed
 * instead of skipped when {@code CI=true}, so a CI run cannot silently lose kernel coverage.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag("kernel")
@ExtendWith(KernelTestExtension.class)
public @interface KernelTest {}
