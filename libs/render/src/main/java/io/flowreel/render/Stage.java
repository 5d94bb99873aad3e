package io.flowreel.render;

import java.util.Locale;

/** The stages of a render, in pipeline order; each runs as its own service on the bus. */
public enum Stage {
  REWRITE,
  ENCODE,
  DENOISE,
  DECODE,
  UPSAMPLE,
  PUBLISH;

  /** Lowercase name used in manifests, metrics and topic names. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
