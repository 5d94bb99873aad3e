package io.flowreel.tracker;

import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.Stage;
import io.flowreel.messages.TensorRef;
import java.util.List;

/**
 * An object a stage stored, copied from its SUCCEEDED event without Avro types. Complete enough to
 * be turned back into the wire reference ({@link #toWire}): a retry from a later stage hands the
 * earlier stages' artifacts to the new task.
 */
public record StoredArtifact(String stage, String name, String bucket, String key, String sha256, long size,
    String format, List<Tensor> tensors) {

  public StoredArtifact {
    tensors = List.copyOf(tensors == null ? List.of() : tensors);
  }

  /** One tensor inside a safetensors object. */
  public record Tensor(String name, String dtype, List<Long> shape) {
    public Tensor {
      shape = List.copyOf(shape == null ? List.of() : shape);
    }
  }

  public static StoredArtifact of(ArtifactRef ref) {
    return new StoredArtifact(String.valueOf(ref.getStage()), ref.getName(), ref.getBucket(), ref.getKey(),
        ref.getSha256(), ref.getSize(), String.valueOf(ref.getFormat()),
        ref.getTensors().stream().map(t -> new Tensor(t.getName(), t.getDtype(), t.getShape())).toList());
  }

  public ArtifactRef toWire() {
    return ArtifactRef.newBuilder()
        .setStage(Stage.valueOf(stage))
        .setName(name)
        .setBucket(bucket)
        .setKey(key)
        .setSha256(sha256)
        .setSize(size)
        .setFormat(ArtifactFormat.valueOf(format))
        .setTensors(tensors.stream()
            .map(t -> TensorRef.newBuilder().setName(t.name()).setDtype(t.dtype()).setShape(t.shape()).build())
            .toList())
        .build();
  }
}
