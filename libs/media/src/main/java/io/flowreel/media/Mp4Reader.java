package io.flowreel.media;

import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_get_pix_fmt_name;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/** Reads MP4 files back: for tests, checks of finished renders, and thumbnails. */
public final class Mp4Reader {

  /** What a video stream holds; {@code frames} is counted by decoding, not taken from the header. */
  public record VideoInfo(int frames, int width, int height, double fps, String codec, String pixelFormat) {
  }

  private Mp4Reader() {
  }

  public static VideoInfo probe(Path mp4) throws IOException {
    Natives.init();
    try (FFmpegFrameGrabber grabber = open(mp4)) {
      // RAW: decode but skip the conversion to RGB, and report the stream's own pixel format.
      grabber.setImageMode(FrameGrabber.ImageMode.RAW);
      grabber.start();
      int frames = 0;
      while (grabber.grabImage() != null) {
        frames++;
      }
      return new VideoInfo(frames, grabber.getImageWidth(), grabber.getImageHeight(), grabber.getFrameRate(),
          name(avcodec_get_name(grabber.getVideoCodec())),
          name(av_get_pix_fmt_name(grabber.getPixelFormat())));
    }
  }

  public static List<RgbFrame> readAll(Path mp4) throws IOException {
    Natives.init();
    try (FFmpegFrameGrabber grabber = open(mp4)) {
      grabber.setPixelFormat(AV_PIX_FMT_RGB24);
      grabber.start();
      List<RgbFrame> frames = new ArrayList<>();
      for (Frame frame; (frame = grabber.grabImage()) != null; ) {
        frames.add(copy(frame));
      }
      return frames;
    }
  }

  private static FFmpegFrameGrabber open(Path mp4) throws IOException {
    if (!mp4.toFile().isFile()) {
      throw new IOException("no such file: " + mp4);
    }
    return new FFmpegFrameGrabber(mp4.toFile());
  }

  /** The grabber reuses its buffer for the next frame, and rows may be padded past width * 3. */
  private static RgbFrame copy(Frame frame) {
    int rowBytes = frame.imageWidth * 3;
    ByteBuffer src = (ByteBuffer) frame.image[0];
    byte[] rgb = new byte[rowBytes * frame.imageHeight];
    for (int y = 0; y < frame.imageHeight; y++) {
      src.get(y * frame.imageStride, rgb, y * rowBytes, rowBytes);
    }
    return new RgbFrame(frame.imageWidth, frame.imageHeight, rgb);
  }

  private static String name(BytePointer p) {
    return p == null ? "unknown" : p.getString();
  }
}
