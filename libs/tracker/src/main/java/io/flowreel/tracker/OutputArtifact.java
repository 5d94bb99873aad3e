package io.flowreel.tracker;

import io.flowreel.messages.ArtifactRef;

/** An object the job published, copied from the PUBLISH SUCCEEDED event without Avro types. */
public record OutputArtifact(String stage, String name, String bucket, String key, String sha256, long size,
    String format) {

  static OutputArtifact of(ArtifactRef ref) {
    return new OutputArtifact(String.valueOf(ref.getStage()), ref.getName(), ref.getBucket(), ref.getKey(),
        ref.getSha256(), ref.getSize(), String.valueOf(ref.getFormat()));
  }
}
