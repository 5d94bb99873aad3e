package io.flowreel.setup;

import io.flowreel.infra.BucketSetup;
import io.flowreel.infra.TopicCatalog;
import io.flowreel.infra.TopicSetup;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Creates the topics of {@code infra/topics.yaml} and the two buckets, then exits: 0 when both are
 * there, 1 with the reason otherwise. Broker and storage may still be starting, so each step is
 * retried until {@code FLOWREEL_SETUP_TIMEOUT} (default 120 s). Safe to run again: existing topics
 * and buckets are kept, and a topic that differs from the catalogue is reported, never changed.
 */
public final class Setup {

  private Setup() {}

  public static void main(String[] args) {
    System.exit(run(System.getenv(), System.out));
  }

  /** Returns the exit code; {@code out} gets what was done or why it failed. */
  static int run(Map<String, String> env, PrintStream out) {
    try {
      String bootstrap = required(env, "FLOWREEL_KAFKA_BOOTSTRAP_SERVERS");
      String endpoint = required(env, "FLOWREEL_S3_ENDPOINT");
      String accessKey = required(env, "FLOWREEL_S3_ACCESS_KEY");
      String secretKey = required(env, "FLOWREEL_S3_SECRET_KEY");
      String work = env.getOrDefault("FLOWREEL_BUCKETS_WORK", "flowreel-work");
      String output = env.getOrDefault("FLOWREEL_BUCKETS_OUTPUT", "flowreel-output");
      Duration timeout = Duration.parse("PT" + env.getOrDefault("FLOWREEL_SETUP_TIMEOUT", "120s").toUpperCase());

      TopicSetup.Result topics = retry("topics on " + bootstrap, timeout,
          () -> TopicSetup.apply(bootstrap, TopicCatalog.standard()), out);
      topics.requireNoMismatch();
      out.println("topics: created " + topics.created() + ", already there " + topics.existing().size());
      List<String> created = retry("buckets on " + endpoint, timeout,
          () -> BucketSetup.ensure(endpoint, accessKey, secretKey, work, output), out);
      out.println("buckets: " + work + ", " + output + (created.isEmpty() ? " (all there)" : " (created "
          + created + ")"));
      return 0;
    } catch (RuntimeException e) {
      out.println("flowreel setup failed: " + e.getMessage());
      return 1;
    }
  }

  private static String required(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is not set");
    }
    return value;
  }

  private static <T> T retry(String what, Duration timeout, Supplier<T> step, PrintStream out) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return step.get();
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(what + ": still failing after " + timeout.toSeconds() + " s: "
              + e.getMessage(), e);
        }
        out.println(what + ": not yet (" + e.getMessage() + "), retrying");
        try {
          Thread.sleep(2000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", interrupted);
        }
      }
    }
  }
}
