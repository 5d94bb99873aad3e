package io.flowreel.service;

import io.flowreel.contract.Stages;
import io.flowreel.runtime.StageMetrics;
import io.flowreel.runtime.StageWorker;
import io.minio.BucketExistsArgs;
import io.minio.MinioClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: broker reachable, buckets there, model pack loaded and worker taking
 * tasks (not holding one while storage is down). {@code /q/health/live}: the worker's polling thread is alive (a dead one never recovers,
 * so the process should be restarted). Probes have short timeouts: a health check must answer
 * even when what it checks does not.
 */
@ApplicationScoped
public class StageHealthChecks {

  private static final int PROBE_TIMEOUT_MS = 2000;

  private final StageService service;
  private final StageServiceConfig config;
  private Admin admin;
  private MinioClient s3;

  StageHealthChecks(StageService service, StageServiceConfig config) {
    this.service = service;
    this.config = config;
  }

  @Produces
  @Readiness
  HealthCheck broker() {
    return () -> {
      HealthCheckResponseBuilder response = HealthCheckResponse.named("broker")
          .withData("bootstrapServers", config.kafka().bootstrapServers());
      try {
        int nodes = admin().describeCluster(new DescribeClusterOptions().timeoutMs(PROBE_TIMEOUT_MS)).nodes()
            .get(PROBE_TIMEOUT_MS + 500L, TimeUnit.MILLISECONDS).size();
        return response.status(nodes > 0).withData("nodes", nodes).build();
      } catch (Exception e) {
        return response.down().withData("error", describe(e)).build();
      }
    };
  }

  @Produces
  @Readiness
  HealthCheck storage() {
    return () -> {
      HealthCheckResponseBuilder response = HealthCheckResponse.named("storage")
          .withData("endpoint", config.s3().endpoint());
      try {
        for (String bucket : List.of(config.buckets().work(), config.buckets().output())) {
          if (!s3().bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            return response.down().withData("error", "bucket " + bucket + " does not exist").build();
          }
        }
        return response.up().build();
      } catch (Exception e) {
        return response.down().withData("error", describe(e)).build();
      }
    };
  }

  @Produces
  @Readiness
  HealthCheck modelPack() {
    return () -> {
      HealthCheckResponseBuilder response = HealthCheckResponse.named("model-pack")
          .withData("path", service.packDir().toString());
      return service.pack()
          .map(pack -> response.up().withData("name", pack.name()).withData("version", pack.manifest().version()))
          .orElseGet(() -> response.down().withData("error", service.failure().orElse("loading")))
          .build();
    };
  }

  @Produces
  @Readiness
  HealthCheck engine() {
    return () -> {
      HealthCheckResponseBuilder response = HealthCheckResponse.named("engine")
          .withData("requested", config.engine());
      return service.engine()
          .map(engine -> {
            response.up().withData("engine", engine.kind()).withData("reason", engine.reason());
            engine.details().forEach(response::withData);
            return response;
          })
          .orElseGet(() -> response.down().withData("error", service.failure().orElse("opening")))
          .build();
    };
  }

  @Produces
  @Readiness
  HealthCheck taking() {
    return () -> worker(HealthCheckResponse.named("worker-started"), false);
  }

  @Produces
  @Liveness
  HealthCheck worker() {
    return () -> worker(HealthCheckResponse.named("worker"), true);
  }

  /** {@code upWhileStarting}: liveness must not get a slowly starting process restarted. */
  private HealthCheckResponse worker(HealthCheckResponseBuilder response, boolean upWhileStarting) {
    response.withData("stage", Stages.id(service.stage())).withData("workerId", service.workerId());
    if (service.failure().isPresent()) {
      return response.down().withData("error", service.failure().get()).build();
    }
    StageWorker worker = service.worker().orElse(null);
    if (worker == null) {
      return response.status(upWhileStarting).withData("state", "starting").build();
    }
    // Readiness goes down while the worker holds a task for storage: it takes no tasks, and says why.
    Optional<String> holding = upWhileStarting ? Optional.empty() : worker.holding();
    holding.ifPresent(reason -> response.withData("holding", reason));
    return response.status(worker.isRunning() && holding.isEmpty())
        .withData("completedTasks", worker.tasks(StageMetrics.Outcome.SUCCEEDED))
        .withData("failedTasks", worker.tasks(StageMetrics.Outcome.DEAD_LETTERED))
        .build();
  }

  private synchronized Admin admin() {
    if (admin == null) {
      admin = Admin.create(Map.of(
          AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers(),
          AdminClientConfig.CLIENT_ID_CONFIG, service.workerId() + "-health",
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, PROBE_TIMEOUT_MS,
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, PROBE_TIMEOUT_MS));
    }
    return admin;
  }

  private synchronized MinioClient s3() {
    if (s3 == null) {
      s3 = MinioClient.builder().endpoint(config.s3().endpoint())
          .credentials(config.s3().accessKey(), config.s3().secretKey()).region("us-east-1").build();
      s3.setTimeout(PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS);
    }
    return s3;
  }

  private static String describe(Exception e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
  }

  @PreDestroy
  synchronized void close() throws Exception {
    if (admin != null) {
      admin.close();
    }
    if (s3 != null) {
      s3.close(); // its OkHttp threads otherwise keep the JVM alive for a minute
    }
  }
}
