package io.flowreel.media;

import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;

/** One place that prepares FFmpeg before any use. */
final class Natives {

  static {
    // FFmpeg logs info and warnings straight to stderr from native code (libopenh264 alone
    // prints a line per encoder start); keep only real errors.
    av_log_set_level(AV_LOG_ERROR);
  }

  private Natives() {
  }

  /** Runs the static initializer once; calling it is cheap afterwards. */
  static void init() {
  }
}
