package io.flowreel.infra;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Entry point of the server child JVMs: runs the real main class given as the first argument, and exits when
 * standard input reaches end of file. The parent never writes to that pipe, so EOF means the parent is gone
 * (even after kill -9, a crashed test fork or Ctrl-C), and no broker or S3 server outlives the process that
 * started it. Depends on nothing but the JDK: it runs on the servers' classpath, not this module's.
 */
public final class ExitWithParent {

  private ExitWithParent() {}

  public static void main(String[] args) throws Throwable {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Nothing is ever sent; keep reading until the pipe closes.
        }
      } catch (IOException e) {
        // A broken pipe means the same as EOF.
      }
      // exit, not halt: the server's shutdown hooks still flush and close its files.
      System.exit(143);
    }, "exit-with-parent");
    watcher.setDaemon(true);
    watcher.start();
    try {
      Class.forName(args[0]).getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
