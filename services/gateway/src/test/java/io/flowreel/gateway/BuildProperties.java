package io.flowreel.gateway;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The build passes {@code -Dflowreel.repo} to every test JVM (the parent pom's surefire configuration;
 * libs/embedded-infra finds the broker's classpath with it). SmallRye Config refuses a property under a
 * {@code @ConfigMapping} prefix that no mapping declares, system properties included, and the gateway maps
 * {@code flowreel}: without this test-only mapping the gateway would not start in a {@code @QuarkusTest}.
 * Quarkus registers a mapping from the test sources only where something injects it, so each
 * {@code @QuarkusTest} class injects this one.
 */
@ConfigMapping(prefix = "flowreel")
public interface BuildProperties {

  /** The checkout, as the build gives it. */
  Optional<String> repo();
}
