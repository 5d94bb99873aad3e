package io.flowreel.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Mp4WriterTest {

  @TempDir
  Path dir;

  private static void write(Path target, List<RgbFrame> frames, int fps) throws IOException {
    RgbFrame first = frames.get(0);
    try (Mp4Writer writer = new Mp4Writer(target, first.width(), first.height(), fps)) {
      for (RgbFrame frame : frames) {
        writer.write(frame);
      }
    }
  }

  private List<String> filesInDir() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void roundTripKeepsFramesSizeCodecAndRate() throws IOException {
    List<RgbFrame> frames = TestFrames.moving(128, 96, 13);
    Path mp4 = dir.resolve("clip.mp4");
    write(mp4, frames, 24);

    assertEquals(List.of("clip.mp4"), filesInDir(), "only the finished file remains");
    Mp4Reader.VideoInfo info = Mp4Reader.probe(mp4);
    assertEquals(new Mp4Reader.VideoInfo(13, 128, 96, 24.0, "h264", "yuv420p"), info);

    List<RgbFrame> decoded = Mp4Reader.readAll(mp4);
    assertEquals(13, decoded.size());
    double worst = 0;
    for (int t = 0; t < frames.size(); t++) {
      assertEquals(128, decoded.get(t).width());
      assertEquals(96, decoded.get(t).height());
      double[] mae = TestFrames.meanAbsError(frames.get(t), decoded.get(t));
      System.out.printf("frame %2d MAE R %.2f G %.2f B %.2f%n", t, mae[0], mae[1], mae[2]);
      for (double m : mae) {
        worst = Math.max(worst, m);
      }
    }
    System.out.printf("worst per-channel MAE %.2f of 255, file %d bytes%n", worst, Files.size(mp4));
    // Lossy, but visually faithful: a few levels of 255 on average per channel.
    assertTrue(worst < 3.0, "worst per-channel mean abs error " + worst);
  }

  @Test
  void paddedRowsAreReadBackCorrectly() throws IOException {
    // 130 * 3 = 390 bytes per row is not a multiple of any alignment FFmpeg might use.
    List<RgbFrame> frames = TestFrames.moving(130, 66, 3);
    Path mp4 = dir.resolve("odd-stride.mp4");
    write(mp4, frames, 10);

    List<RgbFrame> decoded = Mp4Reader.readAll(mp4);
    assertEquals(3, decoded.size());
    for (int t = 0; t < 3; t++) {
      double[] mae = TestFrames.meanAbsError(frames.get(t), decoded.get(t));
      for (double m : mae) {
        assertTrue(m < 4.0, "frame " + t + " mean abs error " + m);
      }
    }
    assertEquals(10.0, Mp4Reader.probe(mp4).fps());
  }

  @Test
  void sameFramesGiveSameVideo() throws IOException {
    List<RgbFrame> frames = TestFrames.moving(128, 96, 13);
    Path a = dir.resolve("a.mp4");
    Path b = dir.resolve("b.mp4");
    write(a, frames, 24);
    write(b, frames, 24);

    assertEquals(Mp4Reader.readAll(a), Mp4Reader.readAll(b), "decoded frames byte for byte");
    boolean sameBytes = java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b));
    System.out.println("identical file bytes: " + sameBytes);
    assertTrue(sameBytes, "file bytes");
  }

  @Test
  void oddSizesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Mp4Writer(dir.resolve("odd.mp4"), 127, 96, 24));
    assertTrue(e.getMessage().contains("even") && e.getMessage().contains("127x96"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Mp4Writer(dir.resolve("odd.mp4"), 128, 95, 24));
    assertThrows(IllegalArgumentException.class, () -> new Mp4Writer(dir.resolve("odd.mp4"), 128, 96, 0));
  }

  @Test
  void abortLeavesNoFile() throws IOException {
    Path mp4 = dir.resolve("aborted.mp4");
    Mp4Writer writer = new Mp4Writer(mp4, 128, 96, 24);
    for (RgbFrame frame : TestFrames.moving(128, 96, 5)) {
      writer.write(frame);
    }
    assertEquals(1, filesInDir().size(), "the partial file exists while writing");
    assertTrue(filesInDir().get(0).startsWith(".aborted.mp4.") && filesInDir().get(0).endsWith(".partial"),
        filesInDir().toString());
    writer.abort();
    writer.close(); // no-op after abort
    assertEquals(List.of(), filesInDir());
  }

  @Test
  void writerFailingMidwayLeavesNoFile() throws IOException {
    Path mp4 = dir.resolve("failed.mp4");
    List<RgbFrame> frames = TestFrames.moving(128, 96, 5);
    RgbFrame wrongSize = TestFrames.moving(64, 48, 1).get(0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
      try (Mp4Writer writer = new Mp4Writer(mp4, 128, 96, 24)) {
        for (RgbFrame frame : frames) {
          writer.write(frame);
        }
        writer.write(wrongSize);
      }
    });
    assertTrue(e.getMessage().contains("64x48") && e.getMessage().contains("128x96"), e.getMessage());
    assertEquals(1, e.getSuppressed().length, "close() reports that nothing was written");
    assertEquals(List.of(), filesInDir());
  }

  @Test
  void failedCloseLeavesNoPartialFile() throws IOException {
    // A non-empty directory at the target makes the final rename fail.
    Path target = Files.createDirectory(dir.resolve("taken.mp4"));
    Files.writeString(target.resolve("keep"), "x");
    Mp4Writer writer = new Mp4Writer(target, 128, 96, 24);
    writer.write(TestFrames.moving(128, 96, 1).get(0));
    assertThrows(IOException.class, writer::close);
    assertEquals(List.of("taken.mp4"), filesInDir());
  }

  @Test
  void closeWithoutFramesFailsAndLeavesNoFile() throws IOException {
    Mp4Writer writer = new Mp4Writer(dir.resolve("empty.mp4"), 128, 96, 24);
    assertThrows(IllegalStateException.class, writer::close);
    assertEquals(List.of(), filesInDir());
  }

  @Test
  void existingTargetIsReplacedWhole() throws IOException {
    Path mp4 = dir.resolve("clip.mp4");
    Files.writeString(mp4, "old");
    write(mp4, TestFrames.moving(64, 64, 2), 24);
    assertEquals(2, Mp4Reader.probe(mp4).frames());
    assertEquals(List.of("clip.mp4"), filesInDir());
  }

  @Test
  void encodeTiming() throws IOException {
    List<RgbFrame> frames = TestFrames.moving(256, 256, 24);
    write(dir.resolve("warmup.mp4"), frames, 24);
    long start = System.nanoTime();
    Path mp4 = dir.resolve("timed.mp4");
    write(mp4, frames, 24);
    long encodeMs = (System.nanoTime() - start) / 1_000_000;
    start = System.nanoTime();
    assertEquals(24, Mp4Reader.readAll(mp4).size());
    long decodeMs = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("24 frames 256x256: encode %d ms, decode %d ms, %d bytes%n",
        encodeMs, decodeMs, Files.size(mp4));
  }
}
