package io.flowreel.gateway;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import java.util.List;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every {@code /v1} request must carry an API key ({@code Authorization: Bearer <key>}); without a
 * valid one it is answered 401 before any resource runs. Health, metrics and the OpenAPI document
 * under {@code /q} stay open: probes and scrapers carry no keys.
 */
public class ApiKeyFilter {

  static final String SCHEME = "Bearer";
  /** The scheme's name in the OpenAPI document. */
  static final String OPENAPI_SCHEME = "apiKey";

  private final ApiKeyRegistry keys;

  ApiKeyFilter(ApiKeyRegistry keys) {
    this.keys = keys;
  }

  @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
  public Optional<Response> authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!(path.equals("/v1") || path.startsWith("/v1/"))) {
      return Optional.empty();
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    String key = header != null && header.regionMatches(true, 0, SCHEME + " ", 0, SCHEME.length() + 1)
        ? header.substring(SCHEME.length() + 1).strip() : null;
    Optional<Caller> caller = key == null ? Optional.empty() : keys.caller(key);
    if (caller.isEmpty()) {
      String reason = header == null
          ? "no API key: send the studio's key as 'Authorization: Bearer <key>' ('flowreel up' writes a local "
              + "one to .flowreel/api-key)"
          : "the API key is not valid (unknown, revoked, or not of the form 'Authorization: Bearer flr_...')";
      return Optional.of(Response.fromResponse(ErrorResponses.error(401, reason, List.of()))
          .header(HttpHeaders.WWW_AUTHENTICATE, SCHEME + " realm=\"flowreel\"").build());
    }
    request.setSecurityContext(new KeySecurityContext(caller.get(), request.getSecurityContext()));
    return Optional.empty();
  }

  private record KeySecurityContext(Caller caller, SecurityContext transport) implements SecurityContext {
    @Override
    public Principal getUserPrincipal() {
      return caller::tenant;
    }

    @Override
    public boolean isUserInRole(String role) {
      return Caller.OPERATOR_ROLE.equals(role) && caller.operator();
    }

    @Override
    public boolean isSecure() {
      return transport != null && transport.isSecure();
    }

    @Override
    public String getAuthenticationScheme() {
      return SCHEME;
    }
  }
}
