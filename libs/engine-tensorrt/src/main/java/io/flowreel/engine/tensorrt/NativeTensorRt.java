package io.flowreel.engine.tensorrt;

import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMajor;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMinor;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;

import java.util.Optional;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;

/**
 * The host's CUDA and TensorRT libraries, loaded through JavaCPP's JNI wrappers on first use. The
 * wrappers come from Maven; libcudart, libnvinfer and libnvonnxparser must be installed (TensorRT
 * 11, CUDA 13, an NVIDIA driver). Nothing here is touched until a probe or a TensorRT engine asks,
 * so CPU-only processes never load them.
 */
public final class NativeTensorRt implements TensorRtProbe {

  /** The process's probe: loading native libraries is done once. */
  public static final NativeTensorRt PROBE = new NativeTensorRt();

  private Optional<String> missing;

  private NativeTensorRt() {}

  @Override
  public synchronized Optional<String> missing() {
    if (missing == null) {
      missing = Optional.ofNullable(probe());
    }
    return missing;
  }

  private static String probe() {
    // JavaCPP throws UnsatisfiedLinkError for a missing library, other errors for a cache it cannot write.
    try {
      Loader.load(cudart.class);
    } catch (LinkageError | RuntimeException e) {
      return "the CUDA runtime (libcudart) could not be loaded: " + describe(e);
    }
    int[] count = {0};
    int status = cudaGetDeviceCount(count);
    if (status != cudart.cudaSuccess) {
      return "no CUDA device: cudaGetDeviceCount failed: " + errorString(status);
    }
    if (count[0] == 0) {
      return "no CUDA device is visible (check the driver and CUDA_VISIBLE_DEVICES)";
    }
    try {
      Loader.load(nvinfer.class);
      Loader.load(nvonnxparser.class);
    } catch (LinkageError | RuntimeException e) {
      return "libnvinfer could not be loaded: " + describe(e);
    }
    return null;
  }

  /** Fails, naming what is missing, unless TensorRT can run. */
  static void require() {
    PROBE.missing().ifPresent(m -> {
      throw new IllegalStateException("TensorRT cannot run here: " + m);
    });
  }

  /** major.minor.patch.build of the loaded libnvinfer: engines load only on the version that built them. */
  static String version() {
    return nvinfer.getInferLibMajorVersion() + "." + nvinfer.getInferLibMinorVersion() + "."
        + nvinfer.getInferLibPatchVersion() + "." + nvinfer.getInferLibBuildVersion();
  }

  /** Of CUDA device 0 (the first that CUDA_VISIBLE_DEVICES leaves), e.g. {@code 9.0}. */
  static String computeCapability() {
    int[] major = {0};
    int[] minor = {0};
    check(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, 0), "reading the compute capability");
    check(cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, 0), "reading the compute capability");
    return major[0] + "." + minor[0];
  }

  static void check(int status, String doing) {
    if (status != cudart.cudaSuccess) {
      throw new IllegalStateException("CUDA failed " + doing + ": " + errorString(status));
    }
  }

  private static String errorString(int status) {
    BytePointer text = cudaGetErrorString(status);
    return (text == null ? "error" : text.getString()) + " (" + status + ")";
  }

  /** JavaCPP's message names the JNI wrapper; its cause names the system library that is missing. */
  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      text.append(" (").append(cause.getMessage()).append(')');
    }
    return text.toString();
  }
}
