package io.flowreel.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** A jar holding only {@link ExitWithParent}, to put in front of a child process's own classpath. */
public final class LauncherJar {

  private LauncherJar() {}

  /**
   * The jar in {@code dir}. Alone in its jar because class data sharing refuses classpath directories (this module's
   * target/classes in a build), and the servers need nothing else from this module. Rewritten only when its
   * bytes change, because archives are only valid for the jar modification times they were made with.
   */
  public static synchronized Path in(Path dir) {
    String entry = ExitWithParent.class.getName().replace('.', '/') + ".class";
    try (InputStream in = ExitWithParent.class.getClassLoader().getResourceAsStream(entry)) {
      if (in == null) {
        throw new IllegalStateException("cannot read " + entry + " from the classpath");
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (JarOutputStream jar = new JarOutputStream(bytes)) {
        JarEntry classFile = new JarEntry(entry);
        classFile.setTime(0); // the same bytes every time
        jar.putNextEntry(classFile);
        in.transferTo(jar);
        jar.closeEntry();
      }
      Path file = dir.resolve("exit-with-parent.jar");
      if (!Files.isRegularFile(file) || !Arrays.equals(Files.readAllBytes(file), bytes.toByteArray())) {
        Files.createDirectories(dir);
        Path tmp = dir.resolve("exit-with-parent.jar." + UUID.randomUUID() + ".tmp");
        Files.write(tmp, bytes.toByteArray());
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the launcher jar into " + dir, e);
    }
  }

}
