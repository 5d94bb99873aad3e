package io.flowreel.runtime;

import io.flowreel.telemetry.Tracing;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.ServerException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;

/**
 * Artifacts in S3-compatible storage through the MinIO Java SDK, so the same code talks to MinIO
 * in production and to the test server here. Every read is checked against the reference's size
 * and sha256 before anyone uses it.
 */
public final class ArtifactStore implements AutoCloseable {

  private static final long PART_SIZE = 64L * 1024 * 1024;
  /** S3 error codes that say "not now" rather than "never". */
  private static final Set<String> UNAVAILABLE_CODES =
      Set.of("ServiceUnavailable", "SlowDown", "InternalError", "RequestTimeout");
  /**
   * Per socket operation, not per request. The SDK's default is 5 minutes: a frozen S3 server then
   * holds a task that long before anyone learns storage is down.
   */
  private static final long CONNECT_TIMEOUT_MS = 5_000;
  private static final long IO_TIMEOUT_MS = 60_000;

  private final MinioClient client;
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong bytesWritten = new AtomicLong();

  public ArtifactStore(String endpoint, String accessKey, String secretKey) {
    this.client = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey).region("us-east-1")
        .httpClient(new OkHttpClient.Builder().socketFactory(new NoDelaySockets()).build()).build();
    client.setTimeout(CONNECT_TIMEOUT_MS, IO_TIMEOUT_MS, IO_TIMEOUT_MS);
  }

  /** Returns if storage answers and {@code bucket} is there; {@link StorageUnavailableException} if it does not answer. */
  public void probe(String bucket) throws IOException {
    boolean exists = call(() -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()));
    if (!exists) {
      throw new IOException("bucket " + bucket + " does not exist");
    }
  }

  public void ensureBucket(String bucket) throws IOException {
    call(() -> {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
      }
      return null;
    });
  }

  public Artifact put(String bucket, String key, byte[] bytes, Artifact.Format format, String stage, String name,
      List<Artifact.TensorInfo> tensors) throws IOException {
    traced("put", bucket, key, () -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
        .stream(new ByteArrayInputStream(bytes), bytes.length, bytes.length > PART_SIZE ? PART_SIZE : -1)
        .contentType(format.contentType()).build()), bytes.length);
    bytesWritten.addAndGet(bytes.length);
    return new Artifact(stage, name, bucket, key, sha256(bytes), bytes.length, format, tensors);
  }

  /** The artifact's bytes, or {@link CorruptArtifactException} if they are missing or altered. */
  public byte[] get(Artifact artifact) throws IOException {
    byte[] bytes;
    try {
      bytes = traced("get", artifact.bucket(), artifact.key(), () -> {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(artifact.bucket())
            .object(artifact.key()).build())) {
          return in.readAllBytes();
        }
      }, artifact.size());
      bytesRead.addAndGet(bytes.length);
    } catch (MissingObjectException e) {
      throw new CorruptArtifactException(describe(artifact) + " is missing", e);
    }
    if (bytes.length != artifact.size()) {
      throw new CorruptArtifactException(describe(artifact) + " has " + bytes.length + " bytes, expected "
          + artifact.size());
    }
    String actual = sha256(bytes);
    if (!actual.equals(artifact.sha256())) {
      throw new CorruptArtifactException(describe(artifact) + " has sha256 " + actual + ", expected "
          + artifact.sha256());
    }
    return bytes;
  }

  /**
   * An object found by its key rather than by a reference (a checkpoint, a published manifest), or
   * empty if there is none. Its hash is not known in advance, so callers validate what they read.
   */
  public Optional<byte[]> find(String bucket, String key) throws IOException {
    try {
      byte[] bytes = traced("get", bucket, key, () -> {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
          return in.readAllBytes();
        }
      }, -1);
      bytesRead.addAndGet(bytes.length);
      return Optional.of(bytes);
    } catch (MissingObjectException e) {
      return Optional.empty();
    }
  }

  /**
   * A reference to what is already stored under {@code key} (its bytes read back to hash them), or
   * empty if nothing is: how a redelivered task reports objects an earlier delivery wrote.
   */
  public Optional<Artifact> stored(String bucket, String key, Artifact.Format format, String stage, String name)
      throws IOException {
    return find(bucket, key).map(bytes -> new Artifact(stage, name, bucket, key, sha256(bytes), bytes.length, format,
        List.of()));
  }

  public boolean exists(String bucket, String key) throws IOException {
    try {
      traced("stat", bucket, key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()),
          -1);
      return true;
    } catch (MissingObjectException e) {
      return false;
    }
  }

  /** Bytes of objects read so far (what the worker's storage metrics count). */
  public long bytesRead() {
    return bytesRead.get();
  }

  /** Bytes of objects written so far. */
  public long bytesWritten() {
    return bytesWritten.get();
  }

  @Override
  public void close() throws Exception {
    // The SDK's OkHttp threads otherwise keep a JVM alive for about a minute.
    client.close();
  }

  public static String describe(Artifact a) {
    return "artifact " + a.name() + " of stage " + a.stage() + " (s3://" + a.bucket() + "/" + a.key() + ")";
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class MissingObjectException extends IOException {
    MissingObjectException(Throwable cause) {
      super(cause);
    }
  }

  @FunctionalInterface
  private interface S3Call<T> {
    T run() throws Exception;
  }

  /** {@link #call} as a span ({@code s3 get}, {@code s3 put}...) under the current one, the task's. */
  private static <T> T traced(String operation, String bucket, String key, S3Call<T> body, long bytes)
      throws IOException {
    Span span = Tracing.tracer().spanBuilder("s3 " + operation).setSpanKind(SpanKind.CLIENT)
        .setAttribute("flowreel.s3.bucket", bucket).setAttribute("flowreel.s3.key", key).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      T result = call(body);
      span.setAttribute("flowreel.s3.bytes", result instanceof byte[] read ? read.length : bytes);
      return result;
    } catch (IOException | RuntimeException e) {
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
      throw e;
    } finally {
      span.end();
    }
  }

  /**
   * The SDK throws a dozen checked types; callers care about "missing", "storage is down for now"
   * ({@link StorageUnavailableException}: no answer, or a 5xx) and "refused" (any other IOException).
   */
  private static <T> T call(S3Call<T> call) throws IOException {
    try {
      return call.run();
    } catch (ErrorResponseException e) {
      String code = e.errorResponse().code();
      if ("NoSuchKey".equals(code) || "NoSuchObject".equals(code)) {
        throw new MissingObjectException(e);
      }
      if (UNAVAILABLE_CODES.contains(code)) {
        throw new StorageUnavailableException("S3 cannot serve now: " + code + " " + e.getMessage(), e);
      }
      throw new IOException("S3 refused the request: " + code + " " + e.getMessage(), e);
    } catch (ServerException e) {
      throw new StorageUnavailableException("S3 answered " + e.statusCode() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      // The SDK's own failures are other types: an IOException is the connection (refused, reset, timed out).
      throw new StorageUnavailableException("S3 does not answer: " + e, e);
    } catch (Exception e) {
      throw new IOException("S3 request failed: " + e.getMessage(), e);
    }
  }
}
