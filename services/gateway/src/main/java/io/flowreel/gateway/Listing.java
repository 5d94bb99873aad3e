package io.flowreel.gateway;

import io.flowreel.contract.ApiKeys;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.function.Predicate;

/**
 * What the list endpoints ({@code GET /v1/jobs}, {@code /v1/batches}, {@code /v1/dead-letters}) share: whose
 * work is listed, the time window, the page size, and cursors, which are opaque to clients (base64url of the
 * tracker's index key or a position) so that their form may change.
 */
final class Listing {

  static final int MAX_LIMIT = 1000;

  private Listing() {}

  /** Whose work {@code caller} lists: its own, or, for an operator, the tenant it names. */
  static String tenant(Caller caller, String tenant) {
    if (tenant == null || tenant.equals(caller.tenant())) {
      return caller.tenant();
    }
    if (!caller.operator()) {
      throw new ApiException(403, "a studio lists its own work only (tenant " + caller.tenant() + ")");
    }
    if (!ApiKeys.TENANT.matcher(tenant).matches()) {
      throw ApiException.badRequest("malformed tenant: lower-case letters, digits and '-'");
    }
    return tenant;
  }

  static int limit(int limit) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.badRequest("limit must be between 1 and " + MAX_LIMIT + " (got " + limit + ")");
    }
    return limit;
  }

  /** Epoch milliseconds of an ISO-8601 instant ({@code 2026-12-06T10:00:00Z}), or {@code otherwise} if none. */
  static long millis(String name, String instant, long otherwise) {
    if (instant == null || instant.isBlank()) {
      return otherwise;
    }
    try {
      return Instant.parse(instant).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(name + " must be an ISO-8601 instant such as 2026-12-06T10:00:00Z, not '"
          + instant + "'");
    }
  }

  /** The same request with {@code cursor}: the next page, as a path and query. */
  static String next(UriInfo uri, String cursor) {
    URI next = uri.getRequestUriBuilder().replaceQueryParam("cursor", cursor).build();
    return next.getRawPath() + "?" + next.getRawQuery();
  }

  static String encode(String position) {
    return position == null ? null
        : Base64.getUrlEncoder().withoutPadding().encodeToString(position.getBytes(StandardCharsets.UTF_8));
  }

  /** The position a cursor of this list stands for; {@code belongs} says whether it is one of this list's. */
  static String decode(String cursor, Predicate<String> belongs) {
    if (cursor == null || cursor.isBlank()) {
      return null;
    }
    String position;
    try {
      position = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("malformed cursor: pass the 'cursor' of the previous page as it is");
    }
    if (!belongs.test(position)) {
      throw ApiException.badRequest("this cursor belongs to another list: pass the 'cursor' of the previous page "
          + "of this one");
    }
    return position;
  }
}
