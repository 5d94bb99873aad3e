package io.flowreel.gateway;

import io.restassured.RestAssured;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange with the gateway over a plain socket, for what REST Assured cannot do: hold
 * dozens of event streams open without a client thread each (the tests count the gateway's threads,
 * in this JVM), and send a request of an exact header or body size. Every read times out.
 */
final class RawHttp implements AutoCloseable {

  private static final int READ_TIMEOUT_MS = 10_000;

  /** One server-sent event; {@code data} is its JSON. */
  record Event(String name, String data) {}

  private final Socket socket;
  private final InputStream in;
  private final int status;
  private final Map<String, String> headers = new HashMap<>();
  private final boolean chunked;
  /** Bytes left in the current chunk, or in the body when it has a length; -1: until the connection closes. */
  private long left;
  private boolean ended;

  private RawHttp(String head, byte[] body, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer); // before connecting: it sets the window the gateway sees
    }
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), RestAssured.port), READ_TIMEOUT_MS);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    OutputStream out = socket.getOutputStream();
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
    in = new BufferedInputStream(socket.getInputStream());
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("the gateway closed the connection without an answer");
    }
    status = Integer.parseInt(statusLine.split(" ")[1]);
    for (String header = line(); header != null && !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      headers.put(header.substring(0, colon).strip().toLowerCase(Locale.ROOT), header.substring(colon + 1).strip());
    }
    chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
    left = chunked ? 0 : headers.containsKey("content-length") ? Long.parseLong(headers.get("content-length")) : -1;
  }

  /** Sends {@code head} (request line and headers, up to the blank line) and {@code body} as they are. */
  static RawHttp send(String head, byte[] body) {
    return send(head, body, 0);
  }

  /** {@code GET path} with the API key of {@code tenant}, asking for an event stream. */
  static RawHttp events(String tenant, String path) {
    return events(tenant, path, 0);
  }

  /** As {@link #events(String, String)}, with a socket receive buffer of {@code receiveBuffer} bytes. */
  static RawHttp events(String tenant, String path, int receiveBuffer) {
    return send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
        + "Authorization: Bearer " + GatewayTestResources.key(tenant) + "\r\n\r\n", new byte[0], receiveBuffer);
  }

  private static RawHttp send(String head, byte[] body, int receiveBuffer) {
    try {
      return new RawHttp(head, body, receiveBuffer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int status() {
    return status;
  }

  String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** The whole body (of a response that ends). */
  String body() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int b = bodyByte(); b >= 0; b = bodyByte()) {
      body.write(b);
    }
    return body.toString(StandardCharsets.UTF_8);
  }

  /** The next server-sent event (comments skipped), or null when the stream has ended. */
  Event next() {
    String name = null;
    StringBuilder data = new StringBuilder();
    while (true) {
      String line = bodyLine();
      if (line == null) {
        return null;
      }
      if (line.isEmpty() && name != null) {
        return new Event(name, data.toString());
      } else if (line.startsWith("event:")) {
        name = line.substring("event:".length()).strip();
      } else if (line.startsWith("data:")) {
        data.append(line.substring("data:".length()).strip());
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String bodyLine() {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = bodyByte(); b != '\n'; b = bodyByte()) {
      if (b < 0) {
        return null;
      }
      line.write(b);
    }
    return line.toString(StandardCharsets.UTF_8).replace("\r", "");
  }

  private int bodyByte() {
    try {
      if (ended) {
        return -1;
      }
      if (chunked && left == 0) {
        String size = line();
        if (size != null && size.isEmpty()) { // the line break after the previous chunk
          size = line();
        }
        left = size == null ? 0 : Long.parseLong(size.split(";")[0].strip(), 16);
        if (left == 0) { // the last chunk, or the connection closed
          ended = true;
          return -1;
        }
      } else if (!chunked && left == 0) {
        ended = true;
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        ended = true;
      } else if (left > 0) {
        left--;
      }
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A line of the response head or of the chunk framing, without its line break; null if the connection closed. */
  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        return null;
      }
      line.append((char) b);
    }
    return line.toString().replace("\r", "");
  }
}
