package io.flowreel.gateway;

import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** {@code /v1/webhooks/secret}: the key a studio checks its webhooks' signatures with. */
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/webhooks/secret")
@Produces(MediaType.APPLICATION_JSON)
public class WebhooksResource {

  private final Webhooks webhooks;

  WebhooksResource(Webhooks webhooks) {
    this.webhooks = webhooks;
  }

  /** The tenant's signing key and how a webhook carries its signature. */
  public record Secret(String tenant, String secret, String algorithm, String header, String deliveryHeader) {}

  @GET
  @Operation(summary = "The key your webhooks are signed with",
      description = "Each webhook carries Flowreel-Signature: sha256=<hex HMAC-SHA256 of the body under this key> "
          + "and Flowreel-Delivery: <id> (repeats of one webhook have the same id). 404 when the farm sends no "
          + "webhooks.")
  public Secret get(@Context SecurityContext security) {
    String tenant = Caller.of(security).tenant();
    return new Secret(tenant, webhooks.tenantSecret(tenant), "HMAC-SHA256", Webhooks.SIGNATURE_HEADER,
        Webhooks.DELIVERY_HEADER);
  }
}
