package io.flowreel.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: whatever bytes arrive, {@link SafeTensors#read} either returns tensors that account for
 * every data byte or throws {@link SafeTensorsException}; nothing else escapes. The inputs are valid
 * files with random damage to the header, its length or the data. A failure names the seed; rerun
 * with {@code -Dflowreel.seed=<seed>} to replay it.
 */
class SafeTensorsPropertyTest {

  private static final int TRIES = 2000;
  private static final long SEED = Long.getLong("flowreel.seed", System.nanoTime());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @Test
  void validFilesReadBackAsWritten() throws Exception {
    Random random = new Random(SEED);
    for (int i = 0; i < TRIES; i++) {
      Map<String, Tensor> tensors = tensors(random);
      Map<String, Tensor> back = SafeTensors.read(new ByteArrayInputStream(SafeTensors.toBytes(tensors)));
      assertThat(back.keySet()).as("seed %d try %d", SEED, i).containsExactlyElementsOf(tensors.keySet());
      tensors.forEach((name, t) -> assertThat(back.get(name)).usingRecursiveComparison().isEqualTo(t));
    }
  }

  @Test
  void damagedFilesAreReadConsistentlyOrRefusedAsSafeTensorsException() throws Exception {
    Random random = new Random(SEED);
    int refused = 0;
    for (int i = 0; i < TRIES; i++) {
      byte[] file = damage(SafeTensors.toBytes(tensors(random)), random);
      try {
        Map<String, Tensor> tensors = SafeTensors.read(new ByteArrayInputStream(file));
        assertThat(dataBytes(tensors)).as("seed %d try %d: %s", SEED, i, describe(file))
            .isEqualTo(file.length - 8 - headerLength(file));
      } catch (SafeTensorsException expected) {
        refused++;
      } catch (Throwable t) {
        fail("seed " + SEED + " try " + i + ": " + t + " escaped for " + describe(file), t);
      }
    }
    // Most damage must be caught; a property that only ever sees valid files proves nothing.
    assertThat(refused).as("seed %d", SEED).isGreaterThan(TRIES / 2);
  }

  private static Map<String, Tensor> tensors(Random random) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      int[] shape = new int[random.nextInt(4)];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = random.nextInt(4);
      }
      int count = (int) Tensor.count(shape);
      Tensor t = switch (random.nextInt(3)) {
        case 0 -> new FloatTensor(shape, new float[count]);
        case 1 -> new LongTensor(shape, random.longs(count).toArray());
        default -> new ByteTensor(shape, new byte[count]);
      };
      tensors.put("t" + i, t);
    }
    return tensors;
  }

  /** One to three kinds of damage, to the header's JSON, its length prefix or the bytes. */
  private static byte[] damage(byte[] file, Random random) throws Exception {
    int headerLength = (int) headerLength(file);
    ObjectNode header = (ObjectNode) JSON.readTree(Arrays.copyOfRange(file, 8, 8 + headerLength));
    byte[] data = Arrays.copyOfRange(file, 8 + headerLength, file.length);
    int rounds = 1 + random.nextInt(3);
    for (int r = 0; r < rounds; r++) {
      mutate(header, random);
    }
    byte[] json = JSON.writeValueAsBytes(header);
    long length = json.length;
    if (random.nextInt(6) == 0) {
      length = pick(random, 0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, json.length + 1L, json.length - 1L,
          SafeTensors.MAX_HEADER_BYTES + 1, (long) json.length + data.length + 1);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array());
    out.write(json);
    out.write(data);
    byte[] bytes = out.toByteArray();
    switch (random.nextInt(8)) {
      case 0 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
      case 1 -> bytes = Arrays.copyOf(bytes, bytes.length + 1 + random.nextInt(16));
      case 2 -> bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
      default -> { }
    }
    return bytes;
  }

  private static void mutate(ObjectNode header, Random random) {
    List<String> names = new ArrayList<>();
    header.fieldNames().forEachRemaining(names::add);
    if (names.isEmpty() || random.nextInt(8) == 0) {
      header.set(pick(random, "extra", "__metadata__", "t0"), weird(random));
      return;
    }
    String name = names.get(random.nextInt(names.size()));
    if (!(header.get(name) instanceof ObjectNode entry) || random.nextInt(10) == 0) {
      header.set(name, weird(random));
      return;
    }
    String key = pick(random, "dtype", "shape", "data_offsets");
    switch (random.nextInt(5)) {
      case 0 -> entry.remove(key);
      case 1 -> entry.set(key, weird(random));
      case 2 -> entry.put("dtype", pick(random, "F16", "BF16", "f32", "", "I64", "U8", "F32"));
      case 3 -> {
        ArrayNode shape = array(entry, "shape");
        if (shape.isEmpty() || random.nextBoolean()) {
          shape.add(weird(random));
        } else {
          shape.set(random.nextInt(shape.size()), weird(random));
        }
      }
      default -> {
        ArrayNode offsets = array(entry, "data_offsets");
        if (offsets.size() == 2 && random.nextBoolean()) {
          long shift = pick(random, 1L, -1L, 4L, -8L, Long.MAX_VALUE);
          offsets.set(random.nextInt(2), NODES.numberNode(offsets.get(0).asLong() + shift));
        } else {
          offsets.insert(random.nextInt(offsets.size() + 1), weird(random));
        }
      }
    }
  }

  private static ArrayNode array(ObjectNode entry, String key) {
    return entry.get(key) instanceof ArrayNode a ? a : entry.putArray(key);
  }

  /** A value of the wrong kind, or a number at an edge. */
  private static JsonNode weird(Random random) {
    return switch (random.nextInt(14)) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.textNode("8");
      case 2 -> NODES.booleanNode(true);
      case 3 -> NODES.objectNode().put("dtype", "F32");
      case 4 -> NODES.arrayNode().add(0).add(4);
      case 5 -> NODES.numberNode(-1);
      case 6 -> NODES.numberNode(0);
      case 7 -> NODES.numberNode(Integer.MAX_VALUE);
      case 8 -> NODES.numberNode(1L << 31);
      case 9 -> NODES.numberNode(Long.MAX_VALUE);
      case 10 -> NODES.numberNode(Long.MIN_VALUE);
      case 11 -> NODES.numberNode(BigInteger.TWO.pow(70));
      case 12 -> NODES.numberNode(1.5);
      default -> NODES.numberNode(1e300);
    };
  }

  @SafeVarargs
  private static <T> T pick(Random random, T... choices) {
    return choices[random.nextInt(choices.length)];
  }

  private static long headerLength(byte[] file) {
    return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static long dataBytes(Map<String, Tensor> tensors) {
    return tensors.values().stream()
        .mapToLong(t -> t.elementCount() * switch (t.dtype()) {
          case "F32" -> 4;
          case "I64" -> 8;
          default -> 1;
        })
        .sum();
  }

  private static String describe(byte[] file) {
    String text = new String(file, 0, Math.min(file.length, 600), StandardCharsets.ISO_8859_1);
    return file.length + " bytes: " + text.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
