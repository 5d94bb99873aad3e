package io.flowreel.tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian
 * data): what the diffusion ecosystem reads, so stored latents open in Python as they are.
 */
public final class SafeTensors {

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final String METADATA = "__metadata__";
  /** The reference reader's cap: a longer header is an attack on memory, not a tensor set. */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
  /** The data section is read into one Java array. */
  static final int MAX_DATA_BYTES = Integer.MAX_VALUE - 8;
  /** Far more dimensions than any framework makes; bounds what a hostile header can allocate. */
  static final int MAX_RANK = 64;

  private SafeTensors() {}

  public static Map<String, Tensor> read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in);
    } catch (SafeTensorsException e) {
      throw new SafeTensorsException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every tensor of a safetensors stream. The bytes are distrusted: anything the format does not
   * allow (a header length past the end, a missing key, a negative or overflowing shape, offsets
   * that overlap, leave gaps or run past the data) is a {@link SafeTensorsException} naming the
   * tensor and the fault, never a crash or a tensor built from the wrong bytes.
   */
  public static Map<String, Tensor> read(InputStream in) throws IOException {
    byte[] lengthBytes = in.readNBytes(8);
    if (lengthBytes.length < 8) {
      throw new SafeTensorsException("not safetensors: shorter than its 8-byte header length");
    }
    long headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
      throw new SafeTensorsException("not safetensors: header length " + headerLength + " is not in 1.."
          + MAX_HEADER_BYTES);
    }
    byte[] header = in.readNBytes((int) headerLength);
    if (header.length != headerLength) {
      throw new SafeTensorsException("not safetensors: header length " + headerLength + " but only "
          + header.length + " bytes follow");
    }
    JsonNode entries = parseHeader(header);
    byte[] data = in.readNBytes(MAX_DATA_BYTES);
    if (in.read() != -1) {
      throw new SafeTensorsException("not safetensors: a data section over " + MAX_DATA_BYTES + " bytes");
    }
    List<Slot> slots = new ArrayList<>();
    for (Map.Entry<String, JsonNode> entry : entries.properties()) {
      if (!entry.getKey().equals(METADATA)) {
        slots.add(slot(entry.getKey(), entry.getValue(), data.length));
      }
    }
    checkLayout(slots, data.length);
    ByteBuffer body = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Slot slot : slots) {
      tensors.put(slot.name(), slot.tensor(body));
    }
    return tensors;
  }

  private static JsonNode parseHeader(byte[] header) throws SafeTensorsException {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(header)).toString();
    } catch (CharacterCodingException e) {
      throw new SafeTensorsException("not safetensors: the header is not UTF-8");
    }
    JsonNode entries;
    try {
      entries = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SafeTensorsException("not safetensors: the header is not JSON (" + e.getOriginalMessage() + ")");
    }
    if (entries == null || !entries.isObject()) {
      throw new SafeTensorsException("not safetensors: the header is not a JSON object");
    }
    return entries;
  }

  /** Where one tensor's bytes lie, and how to read them. */
  private record Slot(String name, int width, int[] shape, long begin, long end) {

    Tensor tensor(ByteBuffer body) {
      ByteBuffer bytes = body.duplicate().position((int) begin).limit((int) end).slice().order(ByteOrder.LITTLE_ENDIAN);
      int count = (int) ((end - begin) / width);
      if (width == 1) {
        byte[] data = new byte[count];
        bytes.get(data);
        return new ByteTensor(shape, data);
      }
      if (width == 4) {
        float[] data = new float[count];
        bytes.asFloatBuffer().get(data);
        return new FloatTensor(shape, data);
      }
      long[] data = new long[count];
      bytes.asLongBuffer().get(data);
      return new LongTensor(shape, data);
    }
  }

  private static Slot slot(String name, JsonNode entry, int dataBytes) throws SafeTensorsException {
    if (!entry.isObject()) {
      throw fault(name, "the entry is " + brief(entry) + ", not an object with dtype, shape and data_offsets");
    }
    JsonNode dtype = entry.get("dtype");
    if (dtype == null || !dtype.isTextual()) {
      throw fault(name, "dtype is " + brief(dtype) + ", not a string");
    }
    int width = switch (dtype.asText()) {
      case "F32" -> 4;
      case "I64" -> 8;
      case "U8" -> 1;
      default -> throw fault(name, "dtype " + brief(dtype) + " is not supported (F32, I64, U8)");
    };
    int[] shape = shape(name, entry.get("shape"));
    JsonNode offsets = entry.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !isOffset(offsets.get(0))
        || !isOffset(offsets.get(1))) {
      throw fault(name, "data_offsets is " + brief(offsets) + ", not [begin, end] (two byte offsets)");
    }
    long begin = offsets.get(0).longValue();
    long end = offsets.get(1).longValue();
    if (begin > end || end > dataBytes) {
      throw fault(name, "data offsets [" + begin + ", " + end + ") do not fit a data section of " + dataBytes
          + " bytes");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(Tensor.countExact(shape), width);
    } catch (ArithmeticException e) {
      throw fault(name, "shape " + Tensor.describe(shape) + " has more elements than a long counts");
    }
    if (end - begin != bytes) {
      throw fault(name, "data offsets [" + begin + ", " + end + ") hold " + (end - begin) + " bytes, shape "
          + Tensor.describe(shape) + " of " + dtype.asText() + " needs " + bytes);
    }
    return new Slot(name, width, shape, begin, end);
  }

  private static int[] shape(String name, JsonNode node) throws SafeTensorsException {
    if (node == null || !node.isArray()) {
      throw fault(name, "shape is " + brief(node) + ", not an array");
    }
    if (node.size() > MAX_RANK) {
      throw fault(name, "shape has " + node.size() + " dimensions, at most " + MAX_RANK);
    }
    int[] shape = new int[node.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = node.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
        throw fault(name, "dimension " + i + " is " + brief(d) + ", not a size (0.." + Integer.MAX_VALUE + ")");
      }
      shape[i] = d.intValue();
    }
    return shape;
  }

  private static boolean isOffset(JsonNode n) {
    return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
  }

  /**
   * As the reference reader requires: the tensors tile the data section, so no bytes are shared
   * between tensors and none are left over unread.
   */
  private static void checkLayout(List<Slot> slots, int dataBytes) throws SafeTensorsException {
    List<Slot> byOffset = new ArrayList<>(slots);
    byOffset.sort(Comparator.comparingLong(Slot::begin).thenComparingLong(Slot::end));
    long next = 0;
    for (Slot slot : byOffset) {
      if (slot.begin() < next) {
        throw fault(slot.name(), "data offsets [" + slot.begin() + ", " + slot.end()
            + ") overlap another tensor's data");
      }
      if (slot.begin() > next) {
        throw fault(slot.name(), "bytes [" + next + ", " + slot.begin() + ") before its data belong to no tensor");
      }
      next = slot.end();
    }
    if (next != dataBytes) {
      throw new SafeTensorsException("not safetensors: the tensors cover " + next + " of the " + dataBytes
          + " data bytes");
    }
  }

  private static SafeTensorsException fault(String tensor, String problem) {
    return new SafeTensorsException(brief(tensor) + ": " + problem);
  }

  /** JSON from a distrusted header, cut short: it ends up in logs and dead letters. */
  private static String brief(Object value) {
    String text = String.valueOf(value);
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
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
