package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flowreel.infra.FlowreelHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml, checked without a Docker engine: Debian's docker-compose validates it
 * ({@code docker-compose config -q}), and it names exactly the services the build makes.
 */
class ComposeFileTest {

  private static final Path REPO = FlowreelHome.locate();
  /** Folders under services/ that are libraries, not services. */
  private static final List<String> LIBRARIES = List.of("stage-service", "network-stage");

  @TempDir Path dir;

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> services() throws IOException {
    // SnakeYAML resolves the anchors and "<<" merge keys the file uses, as docker-compose does.
    Map<String, Object> compose = new Yaml().load(Files.readString(REPO.resolve("docker-compose.yml")));
    return (Map<String, Map<String, Object>>) compose.get("services");
  }

  @SuppressWarnings("unchecked")
  private static String builtService(Map<String, Object> service) {
    Map<String, Object> build = (Map<String, Object>) service.get("build");
    if (build == null) {
      return null;
    }
    if (String.valueOf(build.get("dockerfile")).endsWith("setup.Dockerfile")) {
      return "setup";
    }
    return String.valueOf(((Map<String, Object>) build.get("args")).get("SERVICE"));
  }

  @Test
  void everyServiceOfTheBuildRunsInTheComposeFileAndNothingElse() throws Exception {
    String rootPom = Files.readString(REPO.resolve("pom.xml"));
    TreeSet<String> built = new TreeSet<>();
    try (Stream<Path> folders = Files.list(REPO.resolve("services"))) {
      folders.filter(f -> Files.isRegularFile(f.resolve("pom.xml")))
          .map(f -> f.getFileName().toString())
          .filter(name -> !LIBRARIES.contains(name))
          .forEach(built::add);
    }
    TreeSet<String> composed = new TreeSet<>();
    for (Map<String, Object> service : services().values()) {
      String name = builtService(service);
      if (name != null) {
        composed.add(name);
      }
    }

    assertThat(composed).isEqualTo(built);
    for (String name : built) {
      assertThat(rootPom).as("services/" + name + " is a module of the build").contains("<module>services/" + name
          + "</module>");
    }
    assertThat(composed).containsAll(List.of("gateway", "tracker", "scheduler", "setup", "prompt-rewriter", "text-encoder",
        "denoiser", "decoder", "upsampler", "publisher"));
  }

  @Test
  void imagesArePinnedAndKafkaIsTheBuildsVersion() throws Exception {
    Matcher kafka = Pattern.compile("<kafka.version>([^<]+)</kafka.version>")
        .matcher(Files.readString(REPO.resolve("pom.xml")));
    assertThat(kafka.find()).isTrue();
    for (Map.Entry<String, Map<String, Object>> service : services().entrySet()) {
      String image = String.valueOf(service.getValue().get("image"));
      assertThat(image).as(service.getKey()).matches("[^:]+:[^:]+").doesNotEndWith(":latest");
    }
    assertThat(services().get("kafka").get("image")).isEqualTo("apache/kafka:" + kafka.group(1));
  }

  @Test
  void everyLongRunningServiceHasAHealthCheckAndEveryServiceWaitsForTheSetUp() throws Exception {
    for (Map.Entry<String, Map<String, Object>> entry : services().entrySet()) {
      Map<String, Object> service = entry.getValue();
      if (!entry.getKey().equals("setup")) {
        assertThat(service).as(entry.getKey()).containsKey("healthcheck");
      }
      if (builtService(service) != null && !entry.getKey().equals("setup")) {
        assertThat(String.valueOf(service.get("depends_on"))).as(entry.getKey())
            .contains("setup={condition=service_completed_successfully}");
      }
    }
  }

  @Test
  void dockerComposeAcceptsTheFileAndRejectsABrokenCopy() throws Exception {
    assumeTrue(onPath("docker-compose"), "Debian's docker-compose is not installed (apt-get install "
        + "docker-compose); .ci/run installs it, so CI runs this check");
    Path keys = Files.writeString(dir.resolve("api-keys"), "");
    Map<String, String> credentials = Map.of("FLOWREEL_S3_ACCESS_KEY", "studio-s3", "FLOWREEL_S3_SECRET_KEY",
        "s3-password-of-the-studio", "FLOWREEL_GATEWAY_ID_SECRET", "0".repeat(64), "FLOWREEL_API_KEYS_FILE",
        keys.toString());
    assertThat(config(REPO.resolve("docker-compose.yml"), credentials)).isEmpty();

    Path broken = dir.resolve("docker-compose.yml");
    Files.writeString(broken, Files.readString(REPO.resolve("docker-compose.yml"))
        .replace("condition: service_completed_successfully", "condition: when_it_feels_like_it"));
    assertThat(config(broken, credentials)).as("the check can fail").isNotEmpty();

    // No credential has a default: leaving any out is refused, naming it.
    for (String missing : credentials.keySet()) {
      Map<String, String> some = new java.util.HashMap<>(credentials);
      some.remove(missing);
      assertThat(config(REPO.resolve("docker-compose.yml"), some)).as("without " + missing)
          .contains("set " + missing);
    }
  }

  /**
   * The compose network is the boundary of the internal surfaces: only the gateway (the API) and
   * the S3 API (download links, signed) are published; the tracker's query API, the stages' HTTP
   * ports, Kafka and MinIO's console are reachable from the farm's containers only.
   */
  @Test
  void onlyTheGatewayAndTheS3ApiArePublished() throws Exception {
    Map<String, Object> published = new TreeMap<>();
    services().forEach((name, service) -> {
      if (service.get("ports") != null) {
        published.put(name, service.get("ports"));
      }
    });
    assertThat(published).containsOnlyKeys("gateway", "minio");
    assertThat(String.valueOf(published.get("minio"))).doesNotContain("9001");
  }

  /** What {@code docker-compose config -q} says about a file with {@code env} set; empty when it accepts it. */
  private static String config(Path file, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker-compose", "-f", file.toString(), "config", "-q"));
    ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("FLOWREEL_"));
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return process.exitValue() == 0 ? "" : "exit " + process.exitValue() + ": " + output;
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, program)));
  }
}
