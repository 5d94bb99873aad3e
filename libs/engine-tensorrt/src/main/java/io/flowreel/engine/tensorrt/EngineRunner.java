package io.flowreel.engine.tensorrt;

import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;

import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import io.flowreel.tensor.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.bytedeco.tensorrt.global.nvinfer.TensorIOMode;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * One deserialized engine with its execution context, its own CUDA stream and, for every input
 * and output, a device buffer bound by tensor name and a pinned host buffer for the copies, all
 * sized for the profile's largest shapes once, so a run allocates nothing. One run at a time.
 */
final class EngineRunner {

  private static IRuntime runtime;

  /** A tensor's device buffer and its pinned host twin. */
  private record Buffer(String name, boolean input, long elementBytes, long bytes, Pointer device, Pointer host) {}

  private final String label;
  private final Profile profile;
  private final ICudaEngine engine; // the context needs its engine alive
  private final IExecutionContext context;
  private final CUstream_st stream = new CUstream_st();
  private final Map<String, Buffer> buffers = new LinkedHashMap<>();

  private EngineRunner(String label, Profile profile, ICudaEngine engine) {
    this.label = label;
    this.profile = profile;
    this.engine = engine;
    this.context = engine.createExecutionContext();
    if (context == null || context.isNull()) {
      throw new IllegalStateException("TensorRT could not create an execution context for " + label);
    }
    NativeTensorRt.check(cudaStreamCreate(stream), "creating a stream for " + label);
    // Outputs are largest when inputs are: size every buffer at the profile's max shapes.
    for (Profile.Range input : profile.inputs()) {
      setShape(input.name(), input.max().stream().mapToInt(Integer::intValue).toArray());
    }
    for (int i = 0; i < engine.getNbIOTensors(); i++) {
      String name = engine.getIOTensorName(i);
      boolean input = engine.getTensorIOMode(name).value == TensorIOMode.kINPUT.value;
      long elementBytes = elementBytes(name, engine.getTensorDataType(name).intern(), input);
      long bytes = Math.max(1, Tensor.count(shape(name)) * elementBytes);
      Pointer device = allocate(true, bytes, name);
      Pointer host = allocate(false, bytes, name);
      if (!context.setTensorAddress(name, device)) {
        throw new IllegalStateException("TensorRT refused the address of tensor " + name + " of " + label);
      }
      buffers.put(name, new Buffer(name, input, elementBytes, bytes, device, host));
    }
  }

  /** Reads the engine file (any size) into native memory and deserializes it. */
  static EngineRunner load(String label, Profile profile, Path file) throws IOException {
    try (FileChannel in = FileChannel.open(file); BytePointer data = new BytePointer(in.size())) {
      long size = in.size();
      for (long offset = 0; offset < size; offset += TensorRtEngine.CHUNK) {
        ByteBuffer chunk = data.position(offset).limit(Math.min(size, offset + TensorRtEngine.CHUNK)).asByteBuffer();
        while (chunk.hasRemaining()) {
          if (in.read(chunk, offset + chunk.position()) < 0) {
            throw new EOFException(file + " ended early");
          }
        }
      }
      ICudaEngine engine = runtime().deserializeCudaEngine(data.position(0), size);
      if (engine == null || engine.isNull()) {
        throw new IllegalStateException("TensorRT could not load " + file + " (its log above says why)");
      }
      return new EngineRunner(label, profile, engine);
    }
  }

  private static synchronized IRuntime runtime() {
    if (runtime == null) {
      runtime = createInferRuntime(TensorRtLogger.INSTANCE);
    }
    return runtime;
  }

  Profile profile() {
    return profile;
  }

  synchronized Map<String, FloatTensor> run(Map<String, ? extends Tensor> inputs) {
    for (var entry : inputs.entrySet()) {
      Buffer buffer = buffer(entry.getKey());
      Tensor tensor = entry.getValue();
      setShape(buffer.name(), tensor.shape());
      long count = Tensor.count(tensor.shape());
      if ((tensor instanceof FloatTensor ? Float.BYTES : Long.BYTES) != buffer.elementBytes()) {
        throw new IllegalArgumentException(label + ": input " + buffer.name() + " is " + (tensor instanceof FloatTensor
            ? "float32" : "int64") + ", the engine takes " + buffer.elementBytes() + "-byte elements");
      }
      fits(buffer, count * buffer.elementBytes());
      if (tensor instanceof FloatTensor f) {
        new FloatPointer(buffer.host()).capacity(count).put(f.data());
      } else {
        new LongPointer(buffer.host()).capacity(count).put(((LongTensor) tensor).data());
      }
      copy(buffer, count * buffer.elementBytes(), cudaMemcpyHostToDevice);
    }
    if (!context.enqueueV3(stream)) {
      throw new IllegalStateException("TensorRT could not run " + label + " (its log above says why)");
    }
    Map<String, int[]> outputShapes = new HashMap<>();
    for (Buffer buffer : buffers.values()) {
      if (!buffer.input()) {
        int[] shape = shape(buffer.name());
        outputShapes.put(buffer.name(), shape);
        fits(buffer, Tensor.count(shape) * buffer.elementBytes());
        copy(buffer, Tensor.count(shape) * buffer.elementBytes(), cudaMemcpyDeviceToHost);
      }
    }
    NativeTensorRt.check(cudaStreamSynchronize(stream), "running " + label);
    Map<String, FloatTensor> outputs = new HashMap<>();
    outputShapes.forEach((name, shape) -> {
      float[] data = new float[Math.toIntExact(Tensor.count(shape))];
      new FloatPointer(buffers.get(name).host()).capacity(data.length).get(data);
      outputs.put(name, new FloatTensor(shape, data));
    });
    return outputs;
  }

  private Buffer buffer(String name) {
    Buffer buffer = buffers.get(name);
    if (buffer == null || !buffer.input()) {
      throw new IllegalArgumentException(label + " has no input '" + name + "'; its tensors are " + buffers.keySet());
    }
    return buffer;
  }

  private void setShape(String name, int[] shape) {
    if (!context.setInputShape(name, TensorRtBuilder.dims(Arrays.stream(shape).boxed().toList()))) {
      throw new IllegalArgumentException(label + " cannot take " + name + " of shape " + Arrays.toString(shape)
          + ": its profile is " + profile);
    }
  }

  private int[] shape(String name) {
    Dims64 dims = context.getTensorShape(name);
    int[] shape = new int[dims.nbDims()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = Math.toIntExact(dims.d(i));
    }
    return shape;
  }

  /** Buffers were sized at the profile's largest shapes; a larger tensor would overrun them. */
  private void fits(Buffer buffer, long bytes) {
    if (bytes > buffer.bytes()) {
      throw new IllegalStateException(label + ": tensor " + buffer.name() + " needs " + bytes + " bytes, its buffers "
          + "hold " + buffer.bytes());
    }
  }

  private void copy(Buffer buffer, long bytes, int kind) {
    boolean up = kind == cudaMemcpyHostToDevice;
    NativeTensorRt.check(cudaMemcpyAsync(up ? buffer.device() : buffer.host(), up ? buffer.host() : buffer.device(),
        bytes, kind, stream), "copying " + buffer.name() + " of " + label);
  }

  /** Flowreel hands networks float32 and int64 tensors and reads float32 ones. */
  private long elementBytes(String name, DataType type, boolean input) {
    if (type == DataType.kFLOAT) {
      return Float.BYTES;
    }
    if (type == DataType.kINT64 && input) {
      return Long.BYTES;
    }
    throw new IllegalStateException(label + ": tensor " + name + " is " + type + ", but inputs must be float32 or "
        + "int64 and outputs float32 (convert reduced-precision graphs with keep_io_types=True)");
  }

  private Pointer allocate(boolean device, long bytes, String name) {
    PointerPointer<Pointer> address = new PointerPointer<>(1);
    NativeTensorRt.check(device ? cudaMalloc(address, bytes) : cudaMallocHost(address, bytes),
        (device ? "allocating " : "pinning host memory for ") + name + " of " + label + " (" + bytes + " bytes)");
    return address.get();
  }

}
