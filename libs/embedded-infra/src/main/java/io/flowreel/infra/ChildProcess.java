package io.flowreel.infra;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server JVM (the Kafka broker or S3Proxy) started from the classpath that {@code infra/<module>}'s build wrote,
 * with its output appended to a log file. It runs under {@link ExitWithParent}, so it also ends when this JVM
 * ends, however that happens.
 *
 * <p>Class data sharing: the first run of a server that is stopped cleanly records the classes it loaded
 * ({@code -XX:ArchiveClassesAtExit}) into {@code infra/<module>/target}; later runs map them
 * ({@code -XX:SharedArchiveFile}) instead of loading and verifying them again, which halved the broker's start
 * time and cut its memory by about 45 MB here. An archive only fits the JDK, classpath and options it was made
 * with, so those are hashed into its name; a JVM given an archive that does not fit warns and starts the slow way.
 */
final class ChildProcess {

  private final String name;
  private final Process process;
  private final Path log;
  private final Path archive;
  private final Path recording; // where this run writes the archive when it exits, or null

  private ChildProcess(String name, Process process, Path log, Path archive, Path recording) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.archive = archive;
    this.recording = recording;
  }

  /**
   * Starts {@code mainClass} from {@code infra/<module>}'s classpath. {@code record}: whether a run without an
   * archive records one (not for short tools, which load too few classes to be worth it).
   */
  static ChildProcess start(String name, String module, List<String> jvmOptions, String mainClass, List<String> args,
      Path log, boolean record) {
    Path target = FlowreelHome.serverTarget(module);
    return start(name, target, module, FlowreelHome.serverClasspath(module), jvmOptions, mainClass, args, Map.of(),
        log, record);
  }

  /**
   * Starts {@code mainClass} from {@code classpath} with {@code env} added to this JVM's environment; class data
   * sharing archives named {@code <archiveName>-<hash>.jsa} live in {@code archiveDir}.
   */
  static ChildProcess start(String name, Path archiveDir, String archiveName, String classpath,
      List<String> jvmOptions, String mainClass, List<String> args, Map<String, String> env, Path log,
      boolean record) {
    String fullClasspath = LauncherJar.in(archiveDir) + File.pathSeparator + classpath;
    Path archive = archiveDir.resolve(archiveName + "-" + hash(fullClasspath, jvmOptions) + ".jsa");
    Path recording = null;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    // A native crash (ONNX Runtime, say) reports next to the process's log, not in the directory it was started from.
    command.add("-XX:ErrorFile=" + log.resolveSibling(log.getFileName().toString().replaceFirst("\\.log$", "")
        + "-crash-%p.log"));
    if (Files.isRegularFile(archive)) {
      command.add("-XX:SharedArchiveFile=" + archive);
    } else if (record) {
      recording = archiveDir.resolve(archive.getFileName() + "." + UUID.randomUUID() + ".tmp");
      command.add("-XX:ArchiveClassesAtExit=" + recording);
      command.add("-Xlog:cds=off"); // recording warns about every class it cannot archive; none of it matters
      command.add("-Xlog:cds+dynamic=off");
    }
    command.add("-cp");
    command.add(fullClasspath);
    command.add(ExitWithParent.class.getName());
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(Redirect.appendTo(log.toFile()));
      builder.environment().putAll(env);
      // Standard input stays an open pipe that nobody writes to: ExitWithParent watches it.
      return new ChildProcess(name, builder.start(), log, archive, recording);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + name + " (" + command.get(0) + ")", e);
    }
  }

  /** Runs a short tool to completion (storage formatting) and fails with its output if it fails. */
  static void run(String name, String module, List<String> jvmOptions, String mainClass, List<String> args, Path log,
      Duration timeout) {
    ChildProcess tool = start(name, module, jvmOptions, mainClass, args, log, false);
    try {
      if (!tool.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        tool.kill();
        throw new IllegalStateException(name + " did not finish within " + timeout + "; its output:\n" + tool.logTail());
      }
    } catch (InterruptedException e) {
      tool.kill();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    }
    if (tool.process.exitValue() != 0) {
      throw new IllegalStateException(name + " failed with exit code " + tool.process.exitValue() + "; its output:\n"
          + tool.logTail());
    }
  }

  /**
   * Polls {@code ready} until it holds. Fails at once if the process exits and after {@code timeout} otherwise,
   * stopping the process and quoting the end of its log either way.
   */
  void awaitReady(Duration timeout, BooleanSupplier ready) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!checkReady(deadline, ready)) {
      try {
        Thread.sleep(100); // backoff between probes; each probe has its own short timeout
      } catch (InterruptedException e) {
        kill();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the " + name, e);
      }
    }
  }

  /**
   * One probe: whether {@code ready} holds now. Fails if the process has exited, or if it is not ready by
   * {@code deadline} ({@link System#nanoTime()}), stopping it and quoting the end of its log either way.
   */
  boolean checkReady(long deadline, BooleanSupplier ready) {
    if (!process.isAlive()) {
      throw new IllegalStateException("the " + name + " exited with code " + process.exitValue()
          + " while starting; end of " + log + ":\n" + logTail());
    }
    if (ready.getAsBoolean()) {
      return true;
    }
    if (System.nanoTime() > deadline) {
      kill();
      throw new IllegalStateException("the " + name + " was not ready in time; end of " + log + ":\n" + logTail());
    }
    return false;
  }

  /** SIGTERM, so the server shuts down cleanly; SIGKILL if it has not exited after {@code grace}. */
  void stop(Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        keepRecording();
      } else {
        kill();
      }
    } catch (InterruptedException e) {
      kill();
      Thread.currentThread().interrupt();
    }
  }

  /** SIGKILL, and wait until the process is gone. */
  void kill() {
    process.destroyForcibly();
    boolean interrupted = false;
    while (true) {
      try {
        process.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the process must be reaped before returning: callers rely on it being gone
      }
    }
    discardRecording(); // possibly cut short
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  long pid() {
    return process.pid();
  }

  int exitCode() {
    return process.exitValue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The last 60 lines of the log, for error messages. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /**
   * A port that was free a moment ago on the loopback interface, chosen below the kernel's range for the local ports
   * of outgoing connections. A port from that range (what binding port 0 gives) was taken now and then by some
   * client's connection in the seconds before the service bound it: "Port 41247 seems to be in use by another
   * process", one service of eight in two runs of three (docs/infrastructure.md). Never the same port twice in one
   * JVM: the services of a farm are given their ports one after the other, before any of them binds.
   */
  static int freePort() {
    int ephemeralLow = ephemeralPortFloor();
    if (ephemeralLow - LOWEST_PORT >= 1000) {
      for (int tries = 0; tries < 200; tries++) {
        int port = LOWEST_PORT + ThreadLocalRandom.current().nextInt(ephemeralLow - LOWEST_PORT);
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
          if (HANDED_OUT.add(port)) {
            return port;
          }
        } catch (IOException e) {
          // taken: try another
        }
      }
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
    }
  }

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  /** Below the ephemeral range, and above the ports well-known servers use. */
  private static final int LOWEST_PORT = 10000;

  /** The lowest port of Linux's {@code ip_local_port_range}, or of its default where there is none. */
  private static int ephemeralPortFloor() {
    try {
      return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim()
          .split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32768;
    }
  }

  /** A JVM that exited after SIGTERM has written its whole archive: publish it atomically for the next runs. */
  private void keepRecording() {
    if (recording == null || !Files.isRegularFile(recording)) {
      return;
    }
    try {
      Files.move(recording, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      discardRecording(); // only a lost speed-up
    }
  }

  private void discardRecording() {
    if (recording != null) {
      try {
        Files.deleteIfExists(recording);
      } catch (IOException e) {
        // a stray .tmp file in a build folder is harmless
      }
    }
  }

  /** What an archive depends on: the JDK, the classpath and the JVM options (not -D system properties). */
  private static String hash(String classpath, List<String> jvmOptions) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      List<String> options = jvmOptions.stream().filter(o -> !o.startsWith("-D")).toList();
      for (String part : List.of(System.getProperty("java.home"), System.getProperty("java.vm.version"), classpath,
          String.join(" ", options))) {
        sha.update(part.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
