package io.flowreel.gateway;

import jakarta.ws.rs.core.SecurityContext;

/**
 * Who sent a request, as its API key says ({@link ApiKeyFilter}): a studio sees and changes only
 * its own batches and jobs; an operator, every tenant's.
 */
public record Caller(String tenant, boolean operator) {

  static final String OPERATOR_ROLE = "operator";

  static Caller of(SecurityContext security) {
    if (security == null || security.getUserPrincipal() == null) {
      // ApiKeyFilter stops every /v1 request without a key before it reaches a resource.
      throw new IllegalStateException("a /v1 request reached a resource without a caller");
    }
    return new Caller(security.getUserPrincipal().getName(), security.isUserInRole(OPERATOR_ROLE));
  }

  /** Whether this caller may see or act on what {@code tenant} owns. */
  boolean mayAccess(String tenant) {
    return operator || this.tenant.equals(tenant);
  }
}
