package io.flowreel.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * Generated malformed HTTP requests to the gateway, written byte by byte onto a socket so that
 * nothing a client library would refuse to send (a CR-LF or NUL in a path or a header, broken
 * percent-escapes, invalid UTF-8, lone surrogates) is filtered out before the gateway sees it. Each
 * request is a function of its seed, so a failing one is reproduced by its number.
 */
final class MalformedRequests {

  /** Values that broke the gateway before, or that break parsers, URLs, logs and topic keys. */
  private static final List<String> NASTY = List.of("", " ", ".", "..", "../..", "..%2F..%2Fq%2Fhealth",
      "%2e%2e%2f", "\u0000", "\r\n", "\r\nX-Forged: 1", "\n", "{", "}", "{id}", "%", "%zz", "%00", "%c0%af",
      "\u202e", "\u2066", "\ud800", "\udfff", "'", "\"", "<script>", "${jndi:ldap://x/a}", "%s%n%x", "\\",
      "/", "?", "#", ";", "~", "*", "NaN", "-1", "0", "2147483648", "99999999999999999999", "1e309", "null", "[]",
      "{}", "🎈", "b-000000000000000000000000", "b-000000000000000000000000-000000", "video", "decode", "a b",
      "\u001b[31m", "\u0085", "\ufeff", "\uffff");
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
  private static final List<String> CONTENT_TYPES = List.of("application/json", "application/x-ndjson",
      "application/jsonl", "text/plain", "application/json; charset=latin1", "application/json; charset=utf-16",
      ";;", "a/b/c", "application/*", "*/*", "multipart/form-data; boundary=", "application/json;q=x");
  /** Each route with its method; {a}, {b} and {c} are filled in. */
  private static final List<String> ROUTES = List.of("GET /v1/jobs/{a}", "POST /v1/jobs/{a}/cancel",
      "POST /v1/jobs/{a}/retry", "POST /v1/jobs/{a}/retry?from={b}", "GET /v1/jobs/{a}/events",
      "GET /v1/jobs/{a}/outputs/{b}", "POST /v1/batches", "GET /v1/batches/{a}",
      "GET /v1/batches/{a}/jobs?from={b}&limit={c}", "POST /v1/batches/{a}/cancel", "POST /v1/batches/{a}/retry",
      "GET /v1/batches/{a}/events", "GET /v1/{a}", "GET /{a}", "GET /q/{a}");

  private final String host;
  private final int port;
  private final String studioKey;
  /** Ids that exist (a finished job and its batch), so some requests get past the lookup. */
  private final List<String> realIds;

  MalformedRequests(URI gateway, String studioKey, List<String> realIds) {
    this.host = gateway.getHost();
    this.port = gateway.getPort();
    this.studioKey = studioKey;
    this.realIds = List.copyOf(realIds);
  }

  /** Request number {@code n} of the run seeded {@code seed}. */
  byte[] request(long seed, int n) {
    Random r = new Random(seed * 1_000_003 + n);
    String[] methodAndRoute = pick(r, ROUTES).split(" ");
    String route = methodAndRoute[1];
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int method = r.nextInt(10);
    write(line, method < 7 ? methodAndRoute[0] : method < 9 ? pick(r, METHODS) : token(r));
    write(line, " ");
    int from = 0;
    for (int at = route.indexOf('{'); at >= 0; at = route.indexOf('{', from)) {
      write(line, route.substring(from, at));
      line.writeBytes(segment(r, route.charAt(at + 1) == 'a'));
      from = at + 3;
    }
    write(line, route.substring(from));
    write(line, r.nextInt(50) == 0 ? " HTTP/9.9\r\n" : " HTTP/1.1\r\n");

    byte[] body = route.equals("/v1/batches") || r.nextInt(4) == 0 ? body(r) : new byte[0];
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(line.toByteArray());
    header(request, "Host", host + ":" + port);
    header(request, "Connection", "close");
    if (r.nextInt(10) > 0) {
      header(request, "Authorization", "Bearer " + studioKey);
    } else if (r.nextBoolean()) {
      header(request, "Authorization", "Bearer " + nasty(r));
    }
    if (body.length > 0 || r.nextInt(5) == 0) {
      header(request, "Content-Type", r.nextInt(3) == 0 ? nasty(r) : pick(r, CONTENT_TYPES));
    }
    if (r.nextInt(4) == 0) {
      header(request, "Idempotency-Key", r.nextBoolean() ? nasty(r) : "k-" + r.nextInt(1000));
    }
    if (r.nextInt(10) == 0) {
      header(request, "Accept", "text/event-stream");
    }
    if (r.nextInt(50) == 0) {
      header(request, "X-Padding", "x".repeat(r.nextInt(64 * 1024)));
    }
    header(request, "Content-Length", Integer.toString(body.length));
    write(request, "\r\n");
    request.writeBytes(body);
    return request.toByteArray();
  }

  /**
   * Sends {@code request} and returns the status of the answer: -1 when the connection closed
   * without one, -2 when none came within {@code timeoutMillis}.
   */
  int send(byte[] request, int timeoutMillis) throws IOException {
    try (Socket socket = new Socket(host, port)) {
      socket.setSoTimeout(timeoutMillis);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      StringBuilder status = new StringBuilder();
      for (int b = in.read(); b >= 0 && b != '\n' && status.length() < 100; b = in.read()) {
        status.append((char) b);
      }
      String[] parts = status.toString().split(" ");
      return parts.length >= 2 && parts[0].startsWith("HTTP/") ? Integer.parseInt(parts[1]) : -1;
    } catch (SocketTimeoutException e) {
      return -2;
    } catch (SocketException e) {
      return -1; // refused and closed before all of the request was written (a header too large)
    }
  }

  /** How a request shows in a failure message: printable ASCII, everything else escaped. */
  static String printable(byte[] request) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(request.length, 600); i++) {
      int b = request[i] & 0xff;
      out.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : b == '\n' ? "\\n\n" : String.format("\\x%02x", b));
    }
    return out + (request.length > 600 ? "... (" + request.length + " bytes)" : "");
  }

  /** A path or query part: an id that exists, or a nasty value percent-encoded, raw, or invalid UTF-8. */
  private byte[] segment(Random r, boolean id) {
    int kind = r.nextInt(10);
    if (id && kind < 2 && !realIds.isEmpty()) {
      return pick(r, realIds).getBytes(StandardCharsets.US_ASCII);
    }
    byte[] bytes = kind < 4 ? randomBytes(r, r.nextInt(24)) : nasty(r).getBytes(StandardCharsets.UTF_8);
    if (kind == 9) {
      return bytes; // raw: spaces, CR-LF and NUL inside the request line
    }
    StringBuilder encoded = new StringBuilder();
    for (byte b : bytes) {
      encoded.append(String.format("%%%02X", b & 0xff));
    }
    return encoded.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** A body: random bytes, JSON-like noise, or a batch with hostile values (never a valid one). */
  private byte[] body(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> randomBytes(r, r.nextInt(2000));
      case 1 -> jsonNoise(r).getBytes(StandardCharsets.UTF_8);
      case 2 -> ("[" + "[".repeat(r.nextInt(5000)) + "]").getBytes(StandardCharsets.UTF_8);
      default -> hostileBatch(r).getBytes(StandardCharsets.UTF_8);
    };
  }

  /**
   * A batch whose fields hold hostile values. Its frames (4) are never a valid count, so even a
   * batch whose other fields pass is refused and nothing of the run reaches the stages.
   */
  private String hostileBatch(Random r) {
    String[] fields = {"prompt", "negativePrompt", "seed", "width", "height", "fps", "steps", "guidance", "shift",
        "pack", "priority", "rewrite", "upsample", token(r)};
    StringBuilder jobs = new StringBuilder();
    int count = r.nextInt(20) == 0 ? 10_001 + r.nextInt(100) : 1 + r.nextInt(3);
    for (int i = 0; i < count; i++) {
      jobs.append(i == 0 ? "" : ",").append("{\"frames\": 4");
      for (int f = 0; f < 1 + r.nextInt(4); f++) {
        jobs.append(", \"").append(fields[r.nextInt(fields.length)]).append("\": ").append(jsonValue(r));
      }
      jobs.append('}');
    }
    return r.nextBoolean() ? "[" + jobs + "]" : "{\"defaults\": {\"frames\": 4, \"prompt\": " + jsonValue(r)
        + "}, \"jobs\": [" + jobs + "]}";
  }

  private String jsonValue(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> jsonString(nasty(r));
      case 1 -> jsonString(randomText(r, r.nextInt(r.nextInt(10) == 0 ? 4000 : 40)));
      case 2 -> pick(r, List.of("-1", "0", "2147483648", "-9223372036854775809", "1e309", "0.5", "-0.0", "NaN"));
      case 3 -> pick(r, List.of("null", "true", "[]", "{}", "[1,2]", "{\"a\": 1}", "\"\""));
      default -> jsonString("a red ball " + r.nextInt(100));
    };
  }

  /** A JSON string literal; every non-ASCII UTF-16 unit escaped, so lone surrogates arrive as such. */
  private static String jsonString(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private String jsonNoise(Random r) {
    String alphabet = "{}[]\":,0123456789.-+eEtrufalsn \\u\n";
    StringBuilder out = new StringBuilder();
    for (int i = r.nextInt(300); i > 0; i--) {
      out.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return out.toString();
  }

  private String nasty(Random r) {
    return r.nextInt(3) == 0 ? randomText(r, 1 + r.nextInt(30)) : pick(r, NASTY);
  }

  /** Text from the ranges that trouble parsers: controls, C1, bidi, surrogates, BMP, astral. */
  private static String randomText(Random r, int length) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < length; i++) {
      switch (r.nextInt(8)) {
        case 0 -> out.append((char) r.nextInt(0x20));
        case 1 -> out.append((char) (0x80 + r.nextInt(0x20)));
        case 2 -> out.append((char) (0x202a + r.nextInt(5)));
        case 3 -> out.append((char) (0xd800 + r.nextInt(0x800)));
        case 4 -> out.appendCodePoint(0x10000 + r.nextInt(0x100000));
        case 5 -> out.append((char) r.nextInt(0x10000));
        default -> out.append((char) (0x20 + r.nextInt(0x5f)));
      }
    }
    return out.toString();
  }

  private static byte[] randomBytes(Random r, int length) {
    byte[] bytes = new byte[length];
    r.nextBytes(bytes);
    return bytes;
  }

  private static String token(Random r) {
    return Long.toString(r.nextLong() & Long.MAX_VALUE, 36);
  }

  private static <T> T pick(Random r, List<T> values) {
    return values.get(r.nextInt(values.size()));
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A header line; a value with CR-LF in it forges further headers, which is part of the test. */
  private static void header(ByteArrayOutputStream out, String name, String value) {
    write(out, name + ": " + value + "\r\n");
  }
}
