package io.flowreel.gateway;

import io.flowreel.tracker.StoredArtifact;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioClient;
import io.minio.http.Method;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Presigned, expiring download links for published outputs. Signed for the public S3 address, so
 * clients download straight from storage and clips never pass through the gateway. Signing is a
 * local computation (the region is configured), no request to S3.
 */
@Singleton
public class OutputLinks {

  private final MinioClient signer;
  private final long expirySeconds;

  OutputLinks(GatewayConfig config) {
    signer = MinioClient.builder()
        .endpoint(config.s3().publicEndpoint().orElse(config.s3().endpoint()))
        .credentials(config.s3().accessKey(), config.s3().secretKey())
        .region(config.s3().region())
        .build();
    expirySeconds = config.gateway().linkExpiry().toSeconds();
  }

  public ApiModel.Output link(StoredArtifact artifact) {
    try {
      String url = signer.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
          .method(Method.GET)
          .bucket(artifact.bucket())
          .object(artifact.key())
          .expiry((int) expirySeconds, TimeUnit.SECONDS)
          .build());
      return new ApiModel.Output(artifact.name(), artifact.format(), artifact.size(), artifact.sha256(), url,
          Instant.now().plusSeconds(expirySeconds));
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign a link to " + artifact.bucket() + "/" + artifact.key(), e);
    }
  }
}
