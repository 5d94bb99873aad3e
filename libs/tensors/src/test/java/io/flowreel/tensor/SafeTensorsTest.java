package io.flowreel.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

  @Test
  void roundTripsFloatAndLongTensors() throws Exception {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("latent", new FloatTensor(new int[] {1, 2, 3}, new float[] {1, -2, 3.5f, 0, Float.MIN_VALUE, 6}));
    tensors.put("ids", new LongTensor(new int[] {2}, new long[] {7, Long.MAX_VALUE}));
    byte[] bytes = SafeTensors.toBytes(tensors);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(headerLength % 8).isZero();
    Map<String, Tensor> back = SafeTensors.read(new ByteArrayInputStream(bytes));
    FloatTensor latent = (FloatTensor) back.get("latent");
    assertThat(latent.shape()).containsExactly(1, 2, 3);
    assertThat(latent.data()).containsExactly(1, -2, 3.5f, 0, Float.MIN_VALUE, 6);
    assertThat(((LongTensor) back.get("ids")).data()).containsExactly(7, Long.MAX_VALUE);
  }

  @Test
  void roundTripsEightBitFramesAfterOtherTensorsAsDtypeU8() throws Exception {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("scale", new FloatTensor(new int[] {1}, new float[] {0.5f}));
    tensors.put("frames", new ByteTensor(new int[] {1, 3, 1, 2}, new byte[] {0, 1, 127, (byte) 128, (byte) 254, (byte) 255}));
    byte[] bytes = SafeTensors.toBytes(tensors);
    assertThat(new String(bytes, 8, bytes.length - 8 - 6, java.nio.charset.StandardCharsets.US_ASCII)).contains("\"dtype\":\"U8\"");
    ByteTensor frames = (ByteTensor) SafeTensors.read(new ByteArrayInputStream(bytes)).get("frames");
    assertThat(frames.shape()).containsExactly(1, 3, 1, 2);
    assertThat(frames.data()).containsExactly(0, 1, 127, (byte) 128, (byte) 254, (byte) 255);
  }

  @Test
  void truncatedDataIsRefused() {
    byte[] bytes = SafeTensors.toBytes(Map.of("x", FloatTensor.zeros(4, 4)));
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 4);
    assertThatThrownBy(() -> SafeTensors.read(new ByteArrayInputStream(cut)))
        .hasMessageContaining("x: data offsets [0, 64) do not fit");
  }

  @Test
  void garbageIsRefused() {
    assertThatThrownBy(() -> SafeTensors.read(new ByteArrayInputStream(new byte[] {1, 2, 3})))
        .hasMessageContaining("not safetensors");
  }

  @Test
  void aMalformedHeaderIsRefusedAsInvalidNeverAsACrash() {
    for (String header : new String[] {
        "not json", "[1, 2]", "{\"x\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}",
        "{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}",
        "{\"x\": {\"dtype\": \"F32\", \"shape\": [2147483647, 2147483647, 2147483647], "
            + "\"data_offsets\": [0, 4]}}",
        "{\"x\": {\"shape\": [1], \"data_offsets\": [0, 4]}}",
        "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4]}}"}) {
      assertThatThrownBy(() -> SafeTensors.read(file(header, 4)))
          .as(header).isInstanceOf(SafeTensorsException.class);
    }
  }

  @Test
  void eachFaultIsNamed() {
    String x = "{\"x\": {\"dtype\": \"F32\", \"shape\": %s, \"data_offsets\": %s}}";
    assertFault(String.format(x, "[-2]", "[0, 8]"), 8, "x: dimension 0 is -2, not a size");
    assertFault(String.format(x, "[1.5]", "[0, 8]"), 8, "x: dimension 0 is 1.5, not a size");
    assertFault(String.format(x, "[4294967297]", "[0, 8]"), 8, "x: dimension 0 is 4294967297, not a size");
    assertFault(String.format(x, "[2147483647, 2147483647, 2147483647]", "[0, 8]"), 8,
        "x: shape [2147483647, 2147483647, 2147483647] has more elements than a long counts");
    assertFault(String.format(x, "[2]", "[8, 0]"), 8, "x: data offsets [8, 0) do not fit");
    assertFault(String.format(x, "[2]", "[-8, 0]"), 8, "x: data_offsets is [-8,0], not [begin, end]");
    assertFault(String.format(x, "[2]", "[0, 16]"), 8, "x: data offsets [0, 16) do not fit a data section of 8 bytes");
    assertFault(String.format(x, "[3]", "[0, 8]"), 8, "x: data offsets [0, 8) hold 8 bytes, shape [3] of F32 needs 12");
    assertFault(String.format(x, "[2]", "[0, 8]"), 12, "the tensors cover 8 of the 12 data bytes");
    assertFault("{\"x\": {\"dtype\": \"BF16\", \"shape\": [1], \"data_offsets\": [0, 2]}}", 2,
        "x: dtype \"BF16\" is not supported");
    assertFault("{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
        + " \"y\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
        "overlap another tensor's data");
    assertFault("{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8,
        "x: bytes [0, 4) before its data belong to no tensor");
    assertFault("{\"x\": 3}", 0, "x: the entry is 3, not an object");
    assertFault("{\"x\": {\"dtype\": \"U8\", \"shape\": [], \"data_offsets\": [0, 1]}, \"x\": 1}", 1,
        "Duplicate field 'x'");
    assertFault("{} trailing", 0, "the header is not JSON");
  }

  @Test
  void headerLengthsOutsideTheFileOrTheCapAreRefused() {
    byte[] valid = SafeTensors.toBytes(Map.of("x", FloatTensor.zeros(2)));
    for (long length : new long[] {0, -1, Long.MIN_VALUE, valid.length - 7, SafeTensors.MAX_HEADER_BYTES + 1}) {
      byte[] bytes = valid.clone();
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
      assertThatThrownBy(() -> SafeTensors.read(new ByteArrayInputStream(bytes)))
          .as("header length " + length).isInstanceOf(SafeTensorsException.class)
          .hasMessageContaining("header length " + length);
    }
  }

  @Test
  void aHeaderThatIsNotUtf8IsRefused() {
    byte[] bad = {'{', '"', (byte) 0xc3, '"', ':', '1', '}'};
    ByteBuffer bytes = ByteBuffer.allocate(8 + bad.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(bad.length).put(bad);
    assertThatThrownBy(() -> SafeTensors.read(new ByteArrayInputStream(bytes.array())))
        .isInstanceOf(SafeTensorsException.class).hasMessageContaining("the header is not UTF-8");
  }

  @Test
  void metadataIsToleratedAndEmptyTensorsRead() throws Exception {
    String header = "{\"__metadata__\": {\"format\": \"pt\"}, "
        + "\"empty\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [0, 0]}, "
        + "\"one\": {\"dtype\": \"U8\", \"shape\": [], \"data_offsets\": [0, 1]}}";
    Map<String, Tensor> tensors = SafeTensors.read(file(header, 1));
    assertThat(tensors.keySet()).containsExactly("empty", "one");
    assertThat(tensors.get("empty").shape()).containsExactly(0, 3);
  }

  @Test
  void aFaultReadFromAFileNamesTheFile(@TempDir Path dir) throws Exception {
    Path path = dir.resolve("bad.safetensors");
    Files.write(path, file("{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4)
        .readAllBytes());
    assertThatThrownBy(() -> SafeTensors.read(path))
        .isInstanceOf(SafeTensorsException.class)
        .hasMessageStartingWith(path + ": x: dimension 0 is -1");
  }

  private static void assertFault(String header, int dataBytes, String message) {
    assertThatThrownBy(() -> SafeTensors.read(file(header, dataBytes)))
        .as(header).isInstanceOf(SafeTensorsException.class).hasMessageContaining(message);
  }

  private static ByteArrayInputStream file(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(json.length).put(json);
    return new ByteArrayInputStream(bytes.array());
  }
}
