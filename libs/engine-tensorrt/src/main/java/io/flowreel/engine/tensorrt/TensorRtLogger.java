package io.flowreel.engine.tensorrt;

import org.bytedeco.tensorrt.nvinfer.ILogger;

/** TensorRT's messages, warnings and up, into the JDK's logging (which Quarkus collects). */
final class TensorRtLogger extends ILogger {

  /** TensorRT keeps a pointer to its logger for as long as builders and runtimes live: one for the process. */
  static final TensorRtLogger INSTANCE = new TensorRtLogger();

  private static final System.Logger LOG = System.getLogger("io.flowreel.engine.tensorrt.TensorRT");

  private TensorRtLogger() {}

  @Override
  public void log(Severity severity, String message) {
    System.Logger.Level level = switch (severity.intern()) {
      case kINTERNAL_ERROR, kERROR -> System.Logger.Level.ERROR;
      case kWARNING -> System.Logger.Level.WARNING;
      case kINFO -> System.Logger.Level.DEBUG;
      default -> System.Logger.Level.TRACE;
    };
    LOG.log(level, message);
  }
}
