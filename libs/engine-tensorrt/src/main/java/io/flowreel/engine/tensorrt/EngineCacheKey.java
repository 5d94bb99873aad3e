package io.flowreel.engine.tensorrt;

import java.util.regex.Pattern;

/**
 * What a built engine depends on. An engine runs only on the TensorRT version and GPU
 * architecture it was built with, for the ONNX graph, profile and precision it was built from, so
 * all of them are in its name: a worker finds an engine it can load by name alone.
 *
 * @param network the pack's network name, for people reading the cache
 * @param onnxSha256 of the ONNX file, from the pack's files list
 * @param tensorRtVersion major.minor.patch.build of the loaded libnvinfer
 * @param computeCapability of the GPU, e.g. {@code 9.0}
 * @param profile {@link Profile#id()}: the shape bucket plus a digest of its exact dimensions
 */
public record EngineCacheKey(String network, String onnxSha256, String tensorRtVersion, String computeCapability,
    String profile, Precision precision) {

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public EngineCacheKey {
    if (!SHA256.matcher(onnxSha256).matches()) {
      throw new IllegalArgumentException("ONNX sha256 must be 64 lower-case hex digits, got '" + onnxSha256 + "'");
    }
    for (String part : new String[] {network, tensorRtVersion, computeCapability, profile}) {
      if (!SAFE.matcher(part).matches()) {
        throw new IllegalArgumentException("'" + part + "' cannot be part of an engine file name: use letters, digits,"
            + " '.', '_' or '-'");
      }
    }
  }

  /**
   * {@code dit-12b0748cf0a86005-trt11.2.0.5-sm90-256x256x17-p1a2b3c4d-fp32.engine}. Sixteen hex
   * digits of the ONNX hash tell files apart; the full hash is checked when the engine loads (the
   * cache's sidecar records what it was built from).
   */
  public String fileName() {
    return network + "-" + onnxSha256.substring(0, 16) + "-trt" + tensorRtVersion + "-sm"
        + computeCapability.replace(".", "") + "-" + profile + "-" + precision.id() + ".engine";
  }
}
