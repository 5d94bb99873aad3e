package io.flowreel.gateway;

import jakarta.inject.Singleton;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may send webhooks where, and how they are signed: the tenants' allowed callback hosts
 * ({@code flowreel.gateway.callback-hosts}) and their signing keys, derived from
 * {@code flowreel.gateway.webhook-secret}.
 */
@Singleton
public class Webhooks {

  static final String SIGNATURE_HEADER = "Flowreel-Signature";
  static final String DELIVERY_HEADER = "Flowreel-Delivery";
  static final String EVENT_HEADER = "Flowreel-Event";
  private static final String ALGORITHM = "HmacSHA256";
  private static final String EVERY_OTHER = "*";

  private final Optional<byte[]> secret;
  private final Map<String, List<String>> hosts;

  Webhooks(GatewayConfig config) {
    this.secret = config.gateway().webhookSecret().map(s -> s.getBytes(StandardCharsets.UTF_8));
    secret.ifPresent(key -> {
      if (key.length < BatchesResource.MIN_SECRET_LENGTH) {
        throw new IllegalStateException("flowreel.gateway.webhook-secret (FLOWREEL_GATEWAY_WEBHOOK_SECRET) must be at "
            + "least " + BatchesResource.MIN_SECRET_LENGTH + " characters; 'openssl rand -hex 32' makes one");
      }
    });
    this.hosts = parseHosts(config.gateway().callbackHosts().orElse(""));
  }

  boolean enabled() {
    return secret.isPresent();
  }

  /** Refuses (400) a callback URL the tenant may not use, saying why; returns it as given otherwise. */
  String check(String tenant, String url) {
    if (!enabled()) {
      throw ApiException.badRequest("this farm sends no webhooks (flowreel.gateway.webhook-secret is not set): "
          + "submit without callbackUrl");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw ApiException.badRequest("callbackUrl is not a URL: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null || uri.getRawUserInfo() != null) {
      throw ApiException.badRequest("callbackUrl must be an http(s) URL with a host and no user info, not '" + url
          + "'");
    }
    if (!allowed(tenant, uri)) {
      throw ApiException.badRequest("callbackUrl host " + hostAndPort(uri) + " is not one tenant " + tenant
          + " may send webhooks to; the operator allows hosts per tenant (flowreel.gateway.callback-hosts): "
          + hostsOf(tenant));
    }
    return url;
  }

  private List<String> hostsOf(String tenant) {
    return hosts.getOrDefault(tenant, hosts.getOrDefault(EVERY_OTHER, List.of()));
  }

  boolean allowed(String tenant, URI uri) {
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    for (String entry : hostsOf(tenant)) {
      if (entry.startsWith("*.") ? host.endsWith(entry.substring(1)) && !entry.contains(":")
          : entry.contains(":") ? entry.equals(hostAndPort(uri)) : entry.equals(host)) {
        return true;
      }
    }
    return false;
  }

  /** The tenant's signing key: what a studio checks {@value #SIGNATURE_HEADER} with. */
  String tenantSecret(String tenant) {
    return HexFormat.of().formatHex(hmac(secret.orElseThrow(() -> new ApiException(404,
        "this farm sends no webhooks (flowreel.gateway.webhook-secret is not set)")),
        ("webhook/" + tenant).getBytes(StandardCharsets.UTF_8)));
  }

  /** {@code sha256=} and the HMAC-SHA256 of {@code body} under the tenant's signing key. */
  String signature(String tenant, byte[] body) {
    return "sha256=" + HexFormat.of().formatHex(hmac(tenantSecret(tenant).getBytes(StandardCharsets.UTF_8), body));
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(key, ALGORITHM));
      return mac.doFinal(data);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
    }
  }

  private static String hostAndPort(URI uri) {
    int port = uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    return uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }

  static Map<String, List<String>> parseHosts(String text) {
    Map<String, List<String>> parsed = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return parsed;
    }
    for (String pair : text.split(",")) {
      String[] parts = pair.trim().split("=", 2);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        throw new IllegalArgumentException("callback hosts '" + pair.trim() + "' are not TENANT=HOST|HOST...");
      }
      parsed.put(parts[0].trim(), List.of(parts[1].trim().toLowerCase(Locale.ROOT).split("\\s*\\|\\s*")));
    }
    return parsed;
  }
}
