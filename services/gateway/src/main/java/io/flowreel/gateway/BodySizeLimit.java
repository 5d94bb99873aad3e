package io.flowreel.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a request whose Content-Length is over {@code quarkus.http.limits.max-body-size} with 413
 * and the API's JSON reason. Quarkus refuses the same request, before any resource or filter runs,
 * with an empty 413; this route runs just before that one. A body without a length (chunked) is
 * still cut off by Quarkus as it arrives.
 */
@Singleton
public class BodySizeLimit {

  static final String PROPERTY = "quarkus.http.limits.max-body-size";

  private final MemorySize max;
  private final String tooLarge;

  BodySizeLimit(@ConfigProperty(name = PROPERTY) MemorySize max, ObjectMapper json) throws JsonProcessingException {
    this.max = max;
    this.tooLarge = json.writeValueAsString(new ApiModel.Error(413, "Request Entity Too Large",
        "the request body is larger than " + max.asLongValue() + " bytes (" + PROPERTY + "), nothing was "
            + "submitted: split the batch into smaller ones", List.of()));
  }

  void install(@Observes Router router) {
    router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::check);
  }

  private void check(RoutingContext request) {
    if (declaredLength(request) > max.asLongValue()) {
      request.response().setStatusCode(413)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CONNECTION, "close")
          .endHandler(ended -> request.request().connection().close()) // the body that follows is not read
          .end(tooLarge);
      return;
    }
    request.next();
  }

  /** The Content-Length, or -1 without one; an unreadable one is left to Vert.x and Quarkus. */
  private static long declaredLength(RoutingContext request) {
    String length = request.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    try {
      return length == null ? -1 : Long.parseLong(length.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
