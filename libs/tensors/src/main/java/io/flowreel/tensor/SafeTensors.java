package io.flowreel.tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian
 * data): what the diffusion ecosystem reads, so stored latents open in Python as they are.
 */
public final class SafeTensors {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L * 1024 * 1024;

  private SafeTensors() {}

  public static Map<String, Tensor> read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  public static Map<String, Tensor> read(InputStream in) throws IOException {
    byte[] lengthBytes = in.readNBytes(8);
    if (lengthBytes.length < 8) {
      throw new IllegalArgumentException("not safetensors: shorter than its 8-byte header length");
    }
    long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength <= 0 || headerLength > MAX_HEADER) {
      throw new IllegalArgumentException("not safetensors: header length " + headerLength);
    }
    byte[] header = in.readNBytes((int) headerLength);
    if (header.length != headerLength) {
      throw new IllegalArgumentException("not safetensors: truncated header");
    }
    JsonNode entries;
    try {
      entries = JSON.readTree(header);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not safetensors: the header is not JSON (" + e.getOriginalMessage() + ")");
    }
    if (entries == null || !entries.isObject()) {
      throw new IllegalArgumentException("not safetensors: the header is not a JSON object");
    }
    ByteBuffer body = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = entries.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getKey().equals("__metadata__")) {
        tensors.put(entry.getKey(), decode(entry.getKey(), entry.getValue(), body));
      }
    }
    return tensors;
  }

  /** One header entry; anything malformed (a missing key, a negative or overflowing size) is refused, never trusted. */
  private static Tensor decode(String name, JsonNode entry, ByteBuffer body) {
    JsonNode shapeNode = entry.path("shape");
    JsonNode offsets = entry.path("data_offsets");
    if (!entry.path("dtype").isTextual() || !shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2
        || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
      throw new IllegalArgumentException(name + ": a tensor needs a dtype, a shape and two data offsets, got " + entry);
    }
    int[] shape = new int[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!shapeNode.get(i).canConvertToInt() || shapeNode.get(i).intValue() < 0) {
        throw new IllegalArgumentException(name + ": dimension " + shapeNode.get(i) + " is not a size");
      }
      shape[i] = shapeNode.get(i).intValue();
    }
    long begin = offsets.get(0).longValue();
    long end = offsets.get(1).longValue();
    String dtype = entry.get("dtype").asText();
    int width = switch (dtype) {
      case "F32" -> 4;
      case "I64" -> 8;
      case "U8" -> 1;
      default -> throw new IllegalArgumentException(name + ": dtype " + dtype + " is not supported (F32, I64, U8)");
    };
    long count;
    long bytes;
    try {
      count = Tensor.countExact(shape);
      bytes = Math.multiplyExact(count, (long) width);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(name + ": shape " + Tensor.describe(shape) + " overflows");
    }
    if (end - begin != bytes || end > body.capacity() || begin < 0) {
      throw new IllegalArgumentException(name + ": data offsets [" + begin + ", " + end + ") do not fit shape "
          + Tensor.describe(shape) + " and a body of " + body.capacity() + " bytes");
    }
    ByteBuffer slice = body.duplicate().position((int) begin).limit((int) end).slice().order(ByteOrder.LITTLE_ENDIAN);
    if (width == 1) {
      byte[] data = new byte[(int) count];
      slice.get(data);
      return new ByteTensor(shape, data);
    }
    if (width == 4) {
      float[] data = new float[(int) count];
      slice.asFloatBuffer().get(data);
      return new FloatTensor(shape, data);
    }
    long[] data = new long[(int) count];
    slice.asLongBuffer().get(data);
    return new LongTensor(shape, data);
  }

  public static void write(Map<String, ? extends Tensor> tensors, OutputStream out) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    long offset = 0;
    for (Map.Entry<String, ? extends Tensor> entry : tensors.entrySet()) {
      Tensor t = entry.getValue();
      long bytes = t.elementCount() * width(t);
      ObjectNode node = header.putObject(entry.getKey());
      node.put("dtype", t.dtype());
      var shape = node.putArray("shape");
      for (int d : t.shape()) {
        shape.add(d);
      }
      node.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 7) / 8 * 8;
    ByteArrayOutputStream headerBytes = new ByteArrayOutputStream(padded);
    headerBytes.write(json);
    headerBytes.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
    headerBytes.writeTo(out);
    for (Tensor t : tensors.values()) {
      out.write(encode(t));
    }
  }

  public static byte[] toBytes(Map<String, ? extends Tensor> tensors) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(tensors, out);
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write cannot fail", e);
    }
    return out.toByteArray();
  }

  private static int width(Tensor t) {
    return t instanceof ByteTensor ? 1 : t instanceof FloatTensor ? 4 : 8;
  }

  private static byte[] encode(Tensor t) {
    if (t instanceof ByteTensor b) {
      return b.data();
    }
    if (t instanceof FloatTensor f) {
      ByteBuffer buffer = ByteBuffer.allocate(f.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
      buffer.asFloatBuffer().put(f.data());
      return buffer.array();
    }
    LongTensor l = (LongTensor) t;
    ByteBuffer buffer = ByteBuffer.allocate(l.data().length * 8).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asLongBuffer().put(l.data());
    return buffer.array();
  }
}
