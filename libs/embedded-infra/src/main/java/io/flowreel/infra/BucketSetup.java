package io.flowreel.infra;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Creates missing buckets through the MinIO SDK, so it works the same against MinIO and the embedded S3 server. */
public final class BucketSetup {

  // What S3 servers answer when another process created the bucket between our check and our request.
  private static final Set<String> ALREADY_THERE = Set.of("BucketAlreadyOwnedByYou", "BucketAlreadyExists");

  private BucketSetup() {}

  /** Returns the buckets it created; existing ones are left as they are. */
  public static List<String> ensure(String endpoint, String accessKey, String secretKey, String... buckets) {
    List<String> created = new ArrayList<>();
    // us-east-1 stops the client asking the server for each bucket's location first; closing the client stops
    // its connection pool threads, which otherwise keep a JVM alive for about a minute.
    try (MinioClient client = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey)
        .region("us-east-1").build()) {
      for (String bucket : buckets) {
        if (client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
          continue;
        }
        try {
          client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
          created.add(bucket);
        } catch (ErrorResponseException e) {
          if (!ALREADY_THERE.contains(e.errorResponse().code())) {
            throw e;
          }
        }
      }
      return created;
    } catch (Exception e) {
      throw new IllegalStateException("cannot create buckets " + List.of(buckets) + " at " + endpoint + ": " + e, e);
    }
  }
}
