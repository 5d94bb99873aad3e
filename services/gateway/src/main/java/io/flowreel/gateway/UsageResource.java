package io.flowreel.gateway;

import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.util.OptionalLong;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/** {@code /v1/usage}: how much of the farm the caller's tenant holds, and how much it may. */
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

  private final TrackerClient tracker;
  private final QueueQuota quota;

  UsageResource(TrackerClient tracker, QueueQuota quota) {
    this.tracker = tracker;
    this.quota = quota;
  }

  @GET
  @Operation(summary = "The tenant's unfinished jobs and its queue quota",
      description = "queued and running count the jobs of all the tenant's batches; queueQuota is absent when the "
          + "tenant has none. A submission that would take queued + running over the quota is refused (429).")
  public ApiModel.Usage get(@Context SecurityContext security) {
    String tenant = Caller.of(security).tenant();
    var status = tracker.tenant(tenant);
    OptionalLong limit = quota.of(tenant);
    return new ApiModel.Usage(tenant, status.queued(), status.running(),
        limit.isPresent() ? limit.getAsLong() : null);
  }
}
