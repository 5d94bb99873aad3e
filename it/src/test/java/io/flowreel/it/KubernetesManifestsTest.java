package io.flowreel.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.contract.Stages;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.infra.LocalStack;
import io.flowreel.messages.Stage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests (infra/k8s) as {@code kubectl kustomize} renders them, validated against the Kubernetes
 * and KEDA schemas ({@code infra/k8s/validate}, Node with kubernetes-models), and checked for what issue 22 asks:
 * every stage its own Deployment scaled by a ScaledObject on the farm's backlog metric, GPU stages with GPU
 * requests and node selectors and able to scale to zero, the set-up Job, no credential in a file. That the
 * backlog metric exists is GatewayIT's check, after a real render.
 */
class KubernetesManifestsTest {

  static final Path K8S = FlowreelHome.locate().resolve("infra").resolve("k8s");
  private static final List<String> GPU_STAGES = List.of("text-encoder", "denoiser", "decoder", "upsampler");
  private static final long TIMEOUT_SECONDS = 300;

  private static String rendered;
  private static List<Map<String, Object>> objects;

  @BeforeAll
  static void render() throws Exception {
    rendered = run(K8S, null, "kubectl", "kustomize", K8S.resolve("base").toString()).out();
    objects = load(rendered);
    if (!Files.isDirectory(K8S.resolve("validate").resolve("node_modules"))) {
      Result install = run(K8S.resolve("validate"), null, "npm", "ci", "--no-audit", "--no-fund");
      assertThat(install.code()).as("npm ci in infra/k8s/validate:\n" + install.out()).isZero();
    }
  }

  @Test
  void everyRenderedObjectIsValidAgainstTheKubernetesAndKedaSchemas() throws Exception {
    Result validated = run(K8S, rendered, "node", "validate/validate.mjs");
    assertThat(validated.code()).as(validated.out()).isZero();
    assertThat(validated.out().lines().filter(l -> l.startsWith("valid "))).hasSize(objects.size());
    assertThat(objects).hasSizeGreaterThanOrEqualTo(20);
  }

  @Test
  void theValidatorRejectsWhatTheSchemasForbid() throws Exception {
    Result refused = run(K8S, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: broken}
        spec: {replicas: two, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}},
          spec: {containers: [{name: c}]}}}
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: untargeted}
        spec: {triggers: [{type: prometheus, metadata: {}}]}
        """, "node", "validate/validate.mjs");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.out()).contains("INVALID apps/v1 Deployment broken: data/spec/replicas must be integer")
        .contains("INVALID keda.sh/v1alpha1 ScaledObject untargeted: data/spec must have required property "
            + "scaleTargetRef");
  }

  @Test
  void eachStageIsADeploymentScaledOnItsBacklogAndGpuStagesScaleToZeroOnGpuNodes() {
    for (Stage pipelineStage : Stages.PIPELINE) {
      String service = LocalStack.serviceOf(pipelineStage);
      String stage = Stages.id(pipelineStage);
      assertThat(LocalStack.stageService(stage)).hasValue(service);
      Map<String, Object> deployment = find("Deployment", service).orElseThrow(() -> new AssertionError(service));
      Map<String, Object> pod = map(map(map(deployment, "spec"), "template"), "spec");
      Map<String, Object> container = list(pod, "containers").get(0);
      assertThat(container.get("image")).isEqualTo("flowreel/" + service + ":0.1.0");

      Map<String, Object> scaled = find("ScaledObject", service).orElseThrow(() -> new AssertionError(service));
      assertThat(map(map(scaled, "spec"), "scaleTargetRef").get("name")).isEqualTo(service);
      Map<String, Object> trigger = list(map(scaled, "spec"), "triggers").get(0);
      assertThat(trigger.get("type")).isEqualTo("prometheus");
      String query = (String) map(trigger, "metadata").get("query");
      assertThat(PrometheusQueries.selectors(query)).as(query)
          .contains(new PrometheusQueries.Selector("flowreel_scheduler_tasks_waiting", Map.of("stage", stage)));

      Object gpus = map(map(container, "resources"), "limits").get("nvidia.com/gpu");
      if (GPU_STAGES.contains(service)) {
        assertThat(gpus).as(service + " GPUs").isEqualTo(1);
        assertThat(map(pod, "nodeSelector")).as(service).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(map(scaled, "spec").get("minReplicaCount")).as(service + " scales to zero").isEqualTo(0);
      } else {
        assertThat(gpus).as(service).isNull();
        assertThat(map(scaled, "spec").get("minReplicaCount")).as(service).isEqualTo(1);
      }
    }
  }

  @Test
  void theSetUpJobStatefulServicesAndNoCredentialInAFile() {
    assertThat(find("Job", "flowreel-setup")).isPresent();
    for (String name : List.of("tracker", "scheduler")) {
      Map<String, Object> set = find("StatefulSet", name).orElseThrow(() -> new AssertionError(name));
      assertThat(list(map(set, "spec"), "volumeClaimTemplates")).as(name + " keeps its state on a volume").hasSize(1);
      assertThat(map(set, "spec").get("replicas")).isEqualTo(1);
    }
    assertThat(objects).noneMatch(o -> "Secret".equals(o.get("kind")));
    assertThat(rendered).doesNotContainIgnoringCase("password").doesNotContain("flr_");
    assertThat(find("NetworkPolicy", "internal-apis-from-gateway-and-prometheus")).isPresent();
  }

  /** No Strimzi schema resolves on these machines: the pointers are rendered and their kinds checked only. */
  @Test
  void theKafkaPointersRenderAsStrimziResourcesOfAShareGroupKafka() throws Exception {
    List<Map<String, Object>> kafka = load(run(K8S, null, "kubectl", "kustomize",
        K8S.resolve("dependencies").toString()).out());
    assertThat(kafka).extracting(o -> o.get("apiVersion") + " " + o.get("kind"))
        .containsExactlyInAnyOrder("kafka.strimzi.io/v1beta2 Kafka", "kafka.strimzi.io/v1beta2 KafkaNodePool");
    Map<String, Object> cluster = kafka.stream().filter(o -> "Kafka".equals(o.get("kind"))).findFirst().orElseThrow();
    String[] version = String.valueOf(map(map(cluster, "spec"), "kafka").get("version")).split("\\.");
    assertThat(Integer.parseInt(version[0]) * 100 + Integer.parseInt(version[1])).as("Kafka 4.2+ for share groups")
        .isGreaterThanOrEqualTo(402);
  }

  private static Optional<Map<String, Object>> find(String kind, String name) {
    return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(map(o, "metadata").get("name")))
        .findFirst();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object child = parent.get(key);
    return child == null ? Map.of() : (Map<String, Object>) child;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
    return (List<Map<String, Object>>) parent.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> load(String yaml) {
    List<Map<String, Object>> all = new ArrayList<>();
    for (Object document : new Yaml().loadAll(yaml)) {
      if (document != null) {
        all.add((Map<String, Object>) document);
      }
    }
    return all;
  }

  private record Result(int code, String out) {}

  /** Runs a tool (bounded), {@code stdin} fed to it; says what to install if the tool is missing. */
  private static Result run(Path dir, String stdin, String... command) throws Exception {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(command[0] + " is needed to check infra/k8s (Debian: kubernetes-client for kubectl, "
          + "nodejs and npm for node): " + e.getMessage(), e);
    }
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    try (var in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
    }
    Result result = new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS));
    if (command[0].equals("kubectl")) {
      assertThat(result.code()).as(String.join(" ", command) + ":\n" + result.out()).isZero();
    }
    return result;
  }
}
