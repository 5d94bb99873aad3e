package io.flowreel.engine.tensorrt;

import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;
import io.minio.errors.ErrorResponseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Built engines in S3 under {@code engines/}, each with its sha256 in the object's metadata. A PUT
 * makes an object visible whole with its metadata, so readers never see part of an upload; two
 * workers uploading the same key leave one complete engine, and a reader checks the hash anyway.
 */
public final class S3EngineStore implements AutoCloseable {

  public static final String PREFIX = "engines/";
  private static final String SHA256 = "sha256";
  // S3Proxy (tests) refuses single PUTs above 128 MiB; MinIO takes any part size from 5 MiB.
  private static final long PART_SIZE = 64L * 1024 * 1024;

  private final MinioClient client;
  private final String bucket;

  public S3EngineStore(String endpoint, String accessKey, String secretKey, String bucket) {
    this.client = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey).region("us-east-1")
        .build();
    this.bucket = bucket;
  }

  /** Where {@code name} is kept, for messages. */
  public String location(String name) {
    return "s3://" + bucket + "/" + PREFIX + name;
  }

  /**
   * Downloads {@code name} to {@code target} and returns the sha256 its metadata claims (empty
   * when there is no such object). The caller compares it with the bytes.
   */
  public Optional<String> download(String name, Path target) throws IOException {
    GetObjectArgs get = GetObjectArgs.builder().bucket(bucket).object(PREFIX + name).build();
    try (GetObjectResponse in = client.getObject(get)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return Optional.of(Objects.requireNonNullElse(in.headers().get("x-amz-meta-" + SHA256), "none"));
    } catch (ErrorResponseException e) {
      if ("NoSuchKey".equals(e.errorResponse().code())) {
        return Optional.empty();
      }
      throw new IOException("S3 refused to read " + location(name) + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot read " + location(name) + ": " + e.getMessage(), e);
    }
  }

  public void upload(Path file, String name, String sha256) throws IOException {
    try {
      client.uploadObject(UploadObjectArgs.builder().bucket(bucket).object(PREFIX + name)
          .filename(file.toString(), PART_SIZE).contentType("application/octet-stream")
          .userMetadata(Map.of(SHA256, sha256)).build());
    } catch (Exception e) {
      throw new IOException("cannot upload " + location(name) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      client.close(); // its OkHttp threads otherwise keep the JVM alive for a minute
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot close the S3 client: " + e.getMessage(), e);
    }
  }
}
