package io.flowreel.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Encodes RGB frames into an H.264 (yuv420p, constant frame rate) MP4 file.
 *
 * <p>Frames go to a hidden ".name.xxxx.partial" file next to the target, which {@link #close()}
 * renames onto the target once the file is complete. {@link #abort()}, a failed {@link #write} or a
 * failed close delete it instead, so the target is either the whole video or untouched. Note that
 * try-with-resources calls {@code close()} even when the caller's own code throws: a caller whose
 * frame production can fail should call {@code abort()} on that path. Not thread-safe.
 */
public final class Mp4Writer implements AutoCloseable {

  private enum State { OPEN, FAILED, DONE }

  private final Path target;
  private final Path partial;
  private final int width;
  private final int height;
  private final FFmpegFrameRecorder recorder;
  // Reused for every frame: FFmpeg needs native memory and a heap array would be copied anew each time.
  private final ByteBuffer nativeRgb;
  private State state = State.OPEN;
  private int frames;
  private String failure;

  public Mp4Writer(Path target, int width, int height, int fps) throws IOException {
    if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
      // yuv420p stores one chroma sample per 2x2 block, so H.264 in yuv420p has no odd sizes.
      throw new IllegalArgumentException("H.264 with yuv420p needs a positive, even width and height, got "
          + width + "x" + height);
    }
    if (fps <= 0) {
      throw new IllegalArgumentException("fps must be positive, got " + fps);
    }
    Natives.init();
    this.target = target.toAbsolutePath();
    this.partial = TempFiles.partialFor(this.target);
    this.width = width;
    this.height = height;
    this.nativeRgb = ByteBuffer.allocateDirect(width * height * 3);

    recorder = new FFmpegFrameRecorder(partial.toFile(), width, height, 0);
    recorder.setFormat("mp4"); // the ".partial" suffix gives FFmpeg nothing to guess from
    recorder.setVideoCodec(AV_CODEC_ID_H264);
    recorder.setPixelFormat(AV_PIX_FMT_YUV420P);
    recorder.setFrameRate(fps);
    // libopenh264 otherwise emits a single keyframe; one every 2 s keeps seeking in players quick.
    recorder.setGopSize(2 * fps);
    // libopenh264 (the only H.264 encoder in the LGPL natives) has no CRF: its rate control
    // works from a target bitrate. Give it far more than it needs (it uses ~0.4 bit/pixel)
    // and cap the quantizer instead; QP <= 20 measured ~2/255 mean error per channel.
    recorder.setVideoBitrate((int) Math.min(Integer.MAX_VALUE, 4L * width * height * fps));
    recorder.setVideoOption("qmin", "10");
    recorder.setVideoOption("qmax", "20");
    // JavaCV asks for thread_count 0 (auto), which FFmpeg hands to libopenh264 together with an
    // automatic slice count: pin both so the bitstream cannot depend on the machine's core count.
    recorder.setVideoOption("threads", "1");
    recorder.setVideoOption("slices", "1");
    // swscale converts RGB with BT.601 limited range; say so, or players guess (BT.709 for HD).
    recorder.setVideoOption("colorspace", "smpte170m");
    recorder.setVideoOption("color_primaries", "smpte170m");
    recorder.setVideoOption("color_trc", "smpte170m");
    recorder.setVideoOption("color_range", "tv");
    // Index at the front, so browsers can start playing before the whole file arrived.
    recorder.setOption("movflags", "+faststart");
    try {
      recorder.start();
    } catch (IOException | RuntimeException e) {
      discard(e);
      throw e;
    }
  }

  /** Encodes one frame. Any failure, including a wrongly sized frame, makes the whole video fail. */
  public void write(RgbFrame frame) throws IOException {
    if (state != State.OPEN) {
      throw new IllegalStateException("writer for " + target + " is " + (state == State.FAILED
          ? "failed: " + failure : "closed"));
    }
    try {
      if (frame.width() != width || frame.height() != height) {
        throw new IllegalArgumentException("frame " + frames + " is " + frame.width() + "x" + frame.height()
            + " but the video " + target.getFileName() + " is " + width + "x" + height);
      }
      nativeRgb.clear();
      nativeRgb.put(frame.rgb()).flip();
      recorder.recordImage(width, height, Frame.DEPTH_UBYTE, 3, width * 3, AV_PIX_FMT_RGB24, nativeRgb);
      frames++;
    } catch (IOException | RuntimeException e) {
      state = State.FAILED;
      failure = e.toString();
      discard(e);
      throw e;
    }
  }

  /**
   * Finishes the file and moves it onto the target. Fails, leaving the target untouched, if
   * no frame was written or a write failed. Does nothing after close or abort.
   */
  @Override
  public void close() throws IOException {
    if (state == State.DONE) {
      return;
    }
    if (state == State.FAILED) {
      state = State.DONE;
      throw new IOException("nothing written to " + target + " because a write failed: " + failure);
    }
    state = State.DONE;
    if (frames == 0) {
      discard(null);
      throw new IllegalStateException("no frames were written to " + target);
    }
    try {
      recorder.close(); // stop(): flushes the encoder and writes the MP4 index
      TempFiles.commit(partial, target);
    } catch (IOException | RuntimeException e) {
      discard(e);
      throw e;
    }
  }

  /** Discards everything written so far; the target is left as it was. */
  public void abort() {
    if (state != State.DONE) {
      state = State.DONE;
      discard(null);
    }
  }

  private void discard(Throwable cause) {
    try {
      recorder.release();
    } catch (IOException | RuntimeException e) {
      if (cause != null) {
        cause.addSuppressed(e);
      }
    }
    TempFiles.deleteQuietly(partial, cause);
  }
}
