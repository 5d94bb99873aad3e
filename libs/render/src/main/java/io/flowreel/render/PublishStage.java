package io.flowreel.render;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowreel.contract.RenderManifest;
import io.flowreel.media.Mp4Writer;
import io.flowreel.media.PixelConversion;
import io.flowreel.media.PosterWriter;
import io.flowreel.media.RgbFrame;
import io.flowreel.tiling.FrameChunkSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Function;

/**
 * Writes a clip as {@code <job>.mp4}, {@code <job>.png} (the middle frame) and {@code <job>.json}.
 * Each file appears whole or not at all, and the manifest comes last: a manifest means a finished
 * render.
 */
public final class PublishStage {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One clip being written; frames arrive in order through {@link #frames()}. */
  public static final class Clip implements AutoCloseable {
    private final Path dir;
    private final String jobId;
    private final int posterIndex;
    private final Mp4Writer video;
    private RgbFrame poster;
    private int written;
    private boolean finished;

    private Clip(Path dir, String jobId, int width, int height, int fps, int frames) throws IOException {
      this.dir = dir;
      this.jobId = jobId;
      this.posterIndex = frames / 2;
      Files.createDirectories(dir);
      this.video = new Mp4Writer(dir.resolve(jobId + ".mp4"), width, height, fps);
    }

    public FrameChunkSink frames() {
      return (first, chunk) -> {
        if (first != written) {
          throw new IllegalStateException("frames arrived out of order: expected " + written + ", got " + first);
        }
        for (int i = 0; i < chunk.dim(0); i++) {
          RgbFrame frame = PixelConversion.toRgb(chunk, i);
          if (written == posterIndex) {
            poster = frame;
          }
          write(frame);
          written++;
        }
      };
    }

    private void write(RgbFrame frame) {
      try {
        video.write(frame);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot encode frame " + written + " of " + jobId, e);
      }
    }

    /** Completes the video, then the poster, then the manifest. */
    public RenderManifest finish(Function<RenderManifest.Outputs, RenderManifest> manifest) throws IOException {
      video.close();
      PosterWriter.writePng(poster, dir.resolve(jobId + ".png"));
      RenderManifest.Outputs outputs = new RenderManifest.Outputs(null, jobId + ".mp4", jobId + ".png", null);
      Path json = dir.resolve(jobId + ".json");
      Path partial = dir.resolve("." + jobId + ".json.partial");
      RenderManifest written = manifest.apply(outputs);
      JSON.writeValue(partial.toFile(), written);
      Files.move(partial, json, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      finished = true;
      return written;
    }

    /** Without {@link #finish}, nothing of the clip is left behind. */
    @Override
    public void close() {
      if (!finished) {
        video.abort();
      }
    }
  }

  public Clip open(Path dir, String jobId, int width, int height, int fps, int frames) throws IOException {
    return new Clip(dir, jobId, width, height, fps, frames);
  }

}
