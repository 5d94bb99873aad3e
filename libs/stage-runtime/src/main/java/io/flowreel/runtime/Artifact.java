package io.flowreel.runtime;

import java.util.List;

/**
 * A stored result: where it lives and what it must hash to. Tasks carry these instead of data
 * (claim check), so Kafka messages stay small whatever the video size.
 */
public record Artifact(String stage, String name, String bucket, String key, String sha256, long size,
    Format format, List<TensorInfo> tensors) {

  public enum Format {
    SAFETENSORS("safetensors", "application/octet-stream"),
    MP4("mp4", "video/mp4"),
    PNG("png", "image/png"),
    JSON("json", "application/json");

    private final String extension;
    private final String contentType;

    Format(String extension, String contentType) {
      this.extension = extension;
      this.contentType = contentType;
    }

    public String extension() {
      return extension;
    }

    public String contentType() {
      return contentType;
    }
  }

  /** Name, dtype and shape of one tensor inside a safetensors artifact. */
  public record TensorInfo(String name, String dtype, List<Long> shape) {}

  public Artifact {
    tensors = tensors == null ? List.of() : List.copyOf(tensors);
  }
}
