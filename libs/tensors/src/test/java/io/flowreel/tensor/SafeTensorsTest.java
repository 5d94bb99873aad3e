package io.flowreel.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
      byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN);
      bytes.putLong(json.length).put(json);
      assertThatThrownBy(() -> SafeTensors.read(new ByteArrayInputStream(bytes.array())))
          .as(header).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
