package io.flowreel.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.infra.S3Server;
import io.flowreel.runtime.Artifact;
import io.flowreel.runtime.ArtifactKeys;
import io.flowreel.runtime.ArtifactStore;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real S3 server (S3Proxy in a child process), through the MinIO SDK. */
class StoredTensorsTest {

  private static final String BUCKET = "flowreel-work";

  @Test
  void tensorsRoundTripAsSafetensorsAndAreVerifiedOnRead(@TempDir Path dir) throws Exception {
    try (S3Server s3 = S3Server.start(dir.resolve("s3"));
        ArtifactStore store = new ArtifactStore(s3.endpoint(), s3.accessKey(), s3.secretKey())) {
      store.ensureBucket(BUCKET);
      roundTrip(store);
    }
  }

  private static void roundTrip(ArtifactStore store) throws Exception {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("latent", new FloatTensor(new int[] {1, 2, 2}, new float[] {1, 2, 3, 4}));
    tensors.put("ids", new LongTensor(new int[] {3}, new long[] {7, 8, 9}));
    String key = ArtifactKeys.key("job-1", 1, "denoise", "latent", Artifact.Format.SAFETENSORS);
    Artifact artifact = StoredTensors.put(store, BUCKET, key, "denoise", "latent", tensors);

    assertThat(artifact.key()).isEqualTo("jobs/job-1/attempt-1/denoise/latent.safetensors");
    assertThat(artifact.sha256()).hasSize(64);
    assertThat(artifact.tensors()).extracting(Artifact.TensorInfo::name).containsExactly("latent", "ids");
    assertThat(artifact.tensors().get(0).shape()).containsExactly(1L, 2L, 2L);
    Map<String, Tensor> back = StoredTensors.get(store, artifact);
    assertThat(((FloatTensor) back.get("latent")).data()).containsExactly(1, 2, 3, 4);
    assertThat(((LongTensor) back.get("ids")).data()).containsExactly(7, 8, 9);
    assertThat(store.exists(BUCKET, key)).isTrue();
    assertThat(store.exists(BUCKET, key + ".nope")).isFalse();
  }
}
