package io.flowreel.gateway;

import io.flowreel.submission.PackCatalog;
import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/**
 * {@code /v1/packs}: the model packs this gateway accepts jobs for, their defaults and valid sizes. Farm-wide, no
 * tenant's data: every key may read them.
 */
@SecurityRequirement(name = ApiKeyFilter.OPENAPI_SCHEME)
@Singleton
@Path("/v1/packs")
@Produces(MediaType.APPLICATION_JSON)
public class PacksResource {

  /** A name the 404 may echo; any other is not repeated back (see docs/api.md, "Unknown ids"). */
  private static final Pattern ECHOABLE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");

  private final PackCatalog packs;

  PacksResource(PackCatalog packs) {
    this.packs = packs;
  }

  @GET
  @Operation(summary = "The model packs jobs may name",
      description = "Each pack's version, output and sampler defaults (what a job gets for fields it leaves unset), "
          + "whether it upsamples, and the valid sizes: width and height as multiple, min and max with upsample on "
          + "(absent without an upsampler) and off, and frame counts as 1 + step*k up to max. 'default' marks the "
          + "pack of jobs that name none.")
  public ApiModel.PackList list() {
    return new ApiModel.PackList(packs.names().stream().map(this::describe).toList());
  }

  @GET
  @Path("/{name}")
  @Operation(summary = "One model pack", description = "As in the list; 404 naming the known packs for another name.")
  public ApiModel.Pack get(@PathParam("name") String name) {
    if (packs.pack(name).isEmpty()) {
      throw ApiException.notFound(ECHOABLE.matcher(name).matches()
          ? packs.unknownPackProblem(name)
          : "unknown pack; known packs: " + String.join(", ", packs.names()));
    }
    return describe(name);
  }

  private ApiModel.Pack describe(String name) {
    return ApiModel.Pack.of(packs.pack(name).orElseThrow(), name.equals(packs.defaultPack()));
  }
}
