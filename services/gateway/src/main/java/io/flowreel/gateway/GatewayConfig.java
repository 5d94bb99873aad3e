package io.flowreel.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the gateway reads from its configuration; each property also comes from the environment
 * ({@code flowreel.s3.public-endpoint} is {@code FLOWREEL_S3_PUBLIC_ENDPOINT}).
 */
@ConfigMapping(prefix = "flowreel")
public interface GatewayConfig {

  Kafka kafka();

  S3 s3();

  Buckets buckets();

  Tracker tracker();

  Scheduler scheduler();

  /** The checkout or installation folder; packs are under {@code <home>/models} unless set. */
  @WithDefault(".")
  Path home();

  Packs packs();

  Gateway gateway();

  Tensorrt tensorrt();

  interface Kafka {
    String bootstrapServers();
  }

  interface S3 {
    String endpoint();

    /** The S3 address clients can reach, for download links; the endpoint when unset. */
    Optional<String> publicEndpoint();

    String accessKey();

    String secretKey();

    @WithDefault("us-east-1")
    String region();
  }

  interface Buckets {
    @WithDefault("flowreel-output")
    String output();
  }

  interface Scheduler {
    /** The scheduler service, for each stage's backlog and workers ({@code /v1/stages}); unset: not shown. */
    Optional<URI> url();
  }

  interface Tracker {
    /** The tracker service, e.g. {@code http://localhost:8090}. */
    URI url();
  }

  interface Packs {
    /** Folder holding one folder per model pack; {@code <home>/models} when unset. */
    Optional<Path> dir();

    /** Pack of jobs that name none. */
    @WithDefault("tiny")
    String defaultPack();

    /**
     * The packs of {@link #dir()} this gateway accepts jobs for, when not all: a stage service
     * renders with one pack, so a farm whose stages run one pack must refuse the others' jobs.
     */
    Optional<List<String>> served();
  }

  interface Tensorrt {
    /**
     * WIDTHxHEIGHTxFRAMES,... the stages' TensorRT engines were built for: jobs of other shapes are
     * refused at submission. Unset: any size the pack accepts (ONNX Runtime takes any).
     */
    Optional<String> buckets();
  }

  interface Gateway {
    /**
     * Names this gateway's transactional producer: the same id after a restart fences the
     * predecessor's open transaction; two running gateways need different ids. Default: the host name.
     */
    Optional<String> instanceId();

    /**
     * The API keys file ({@code io.flowreel.contract.ApiKeys}): one line per key, its sha256, tenant and
     * role. Required; read again when it changes. {@code flowreel up} writes one with a local key.
     */
    Path apiKeysFile();

    /**
     * Keys the batch ids derived from Idempotency-Keys (HMAC-SHA256), so no one can compute another
     * tenant's: at least 32 characters, the same on every gateway of a farm and kept across restarts
     * (a new secret gives a repeated key a new batch). Required.
     */
    String idSecret();

    /**
     * Most unfinished (queued or running) jobs a tenant may have, {@code TENANT=N,...,*=N}: a submission that
     * would take the tenant over it is refused whole (429). A tenant not named has the quota of {@code *}, or none.
     */
    Optional<String> queueQuota();

    /**
     * Signs webhooks: each tenant's signing key is derived from it (HMAC-SHA256 of the tenant's name), and a
     * studio reads its own at {@code GET /v1/webhooks/secret}. At least 32 characters, the same on every gateway.
     * Unset: batches with a {@code callbackUrl} are refused.
     */
    Optional<String> webhookSecret();

    /**
     * Hosts each tenant's webhooks may go to, {@code TENANT=HOST|HOST,...,*=HOST}; a host is a name
     * ({@code hooks.studio.example}), a name with a port ({@code 127.0.0.1:9000}) or a domain's names
     * ({@code *.studio.example}). A tenant with none may not use webhooks, so the farm cannot be pointed at
     * addresses of its own network.
     */
    Optional<String> callbackHosts();

    /** Most tries of one webhook, 1 s apart and doubling (1, 2, 4... s), before it is given up and logged. */
    @WithDefault("6")
    int webhookAttempts();

    /** Most jobs in one batch. */
    @WithDefault("10000")
    int maxJobsPerBatch();

    /**
     * Most event streams one tenant may have open on this gateway at once (an operator counts as its
     * own tenant), so one studio's dashboards cannot take every slot.
     */
    @WithDefault("100")
    int maxEventStreamsPerTenant();

    /** Most event streams open on this gateway at once, all tenants together. */
    @WithDefault("2000")
    int maxEventStreams();

    /** How long download links stay valid. */
    @WithDefault("1h")
    Duration linkExpiry();

    /**
     * How long a submission waits for the tracker to show the new batch before answering, so that a
     * client's next GET (or a repeated Idempotency-Key) finds it.
     */
    @WithDefault("10s")
    Duration trackerWait();
  }
}
