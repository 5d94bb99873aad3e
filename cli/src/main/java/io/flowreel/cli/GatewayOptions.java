package io.flowreel.cli;

import io.flowreel.infra.FlowreelHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the gateway is and which API key to show it, for the commands that talk to a running one.
 * Address: {@code --gateway}, else {@code FLOWREEL_GATEWAY}, else what {@code flowreel up} wrote
 * into {@code .flowreel/gateway}, else {@code http://127.0.0.1:8080}. Key: {@code FLOWREEL_API_KEY},
 * else the local key {@code flowreel up} wrote into {@code .flowreel/api-key} (not an option: a
 * key on the command line is visible to every user of the machine).
 */
final class GatewayOptions {

  static final String DEFAULT_GATEWAY = "http://127.0.0.1:8080";

  @Option(names = "--gateway", paramLabel = "URL", description = "Gateway address (default: FLOWREEL_GATEWAY, "
      + "else what 'flowreel up' wrote into .flowreel/gateway, else " + DEFAULT_GATEWAY + ").")
  String gateway;

  static final String API_KEY_FILE = "api-key";

  GatewayClient client() throws IOException {
    return new GatewayClient(address(), apiKey());
  }

  private static String apiKey() throws IOException {
    String env = System.getenv("FLOWREEL_API_KEY");
    if (env != null && !env.isBlank()) {
      return env.strip();
    }
    Path written = stateDir().resolve(API_KEY_FILE);
    return Files.isRegularFile(written) ? Files.readString(written).strip() : null;
  }

  private String address() throws IOException {
    if (gateway != null) {
      return gateway;
    }
    String env = System.getenv("FLOWREEL_GATEWAY");
    if (env != null && !env.isBlank()) {
      return env;
    }
    Path written = stateDir().resolve("gateway");
    return Files.isRegularFile(written) ? Files.readString(written).trim() : DEFAULT_GATEWAY;
  }

  /**
   * What this checkout's commands remember between runs, and where {@code render} and {@code up}
   * keep their data while they run: {@code <checkout>/.flowreel}, or the system property
   * {@code flowreel.state}.
   */
  static Path stateDir() {
    String state = System.getProperty("flowreel.state");
    return state != null ? Path.of(state).toAbsolutePath() : FlowreelHome.locate().resolve(".flowreel");
  }
}
