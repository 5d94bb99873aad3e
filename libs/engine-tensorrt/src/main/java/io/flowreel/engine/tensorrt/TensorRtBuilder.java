package io.flowreel.engine.tensorrt;

import static org.bytedeco.tensorrt.global.nvinfer.createInferBuilder;
import static org.bytedeco.tensorrt.global.nvonnxparser.createParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;

/** Builds a serialized engine from an ONNX file for one optimization profile. Minutes on a large DiT. */
final class TensorRtBuilder {

  private TensorRtBuilder() {}

  static void build(Path onnx, Profile profile, Path target) throws IOException {
    try (IBuilder builder = createInferBuilder(TensorRtLogger.INSTANCE);
        // No flags: TensorRT 11 networks are always strongly typed (its kSTRONGLY_TYPED flag is deprecated and
        // ignored), so the precision is the ONNX graph's.
        INetworkDefinition network = builder.createNetworkV2(0);
        IParser parser = createParser(network, TensorRtLogger.INSTANCE);
        IBuilderConfig config = builder.createBuilderConfig()) {
      if (!parser.parseFromFile(onnx.toString(), ILogger.Severity.kWARNING.value)) {
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < parser.getNbErrors(); i++) {
          IParserError error = parser.getError(i);
          errors.add(error.desc() + " (node " + error.nodeName() + ", " + error.nodeOperator() + ")");
        }
        throw new IllegalStateException("TensorRT cannot parse " + onnx + ": " + String.join("; ", errors));
      }
      IOptimizationProfile optimization = builder.createOptimizationProfile();
      for (Profile.Range input : profile.inputs()) {
        if (!optimization.setDimensions(input.name(), OptProfileSelector.kMIN, dims(input.min()))
            || !optimization.setDimensions(input.name(), OptProfileSelector.kOPT, dims(input.opt()))
            || !optimization.setDimensions(input.name(), OptProfileSelector.kMAX, dims(input.max()))) {
          throw new IllegalStateException("TensorRT refused the profile of input " + input + " of " + onnx);
        }
      }
      config.addOptimizationProfile(optimization);
      try (IHostMemory serialized = builder.buildSerializedNetwork(network, config)) {
        if (serialized == null || serialized.isNull()) {
          throw new IllegalStateException("TensorRT could not build an engine from " + onnx + " for " + profile
              + " (its log above says why)");
        }
        write(serialized, target);
      }
    }
  }

  static Dims64 dims(List<Integer> sizes) {
    Dims64 dims = new Dims64();
    dims.nbDims(sizes.size());
    for (int i = 0; i < sizes.size(); i++) {
      dims.d(i, sizes.get(i));
    }
    return dims;
  }

  /** In chunks: an engine may be larger than the 2 GB one Java buffer can hold. */
  private static void write(IHostMemory serialized, Path target) throws IOException {
    long size = serialized.size();
    BytePointer bytes = new BytePointer(serialized.data()).capacity(size);
    try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long offset = 0; offset < size; offset += TensorRtEngine.CHUNK) {
        long end = Math.min(size, offset + TensorRtEngine.CHUNK);
        ByteBuffer chunk = bytes.position(offset).limit(end).asByteBuffer();
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
      }
    }
  }
}
