package io.flowreel.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest;
import io.flowreel.submission.PackCatalog;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/packs} against the checkout's packs (models/: tiny and the reduced Wan2.1 export). Expected sizes are
 * worked out here from each manifest by the rule in docs/model-packs.md ("Sizes a pack accepts"), not by
 * {@code SizeRules}, and the sizes the API lists are then put to the job validation itself.
 */
@QuarkusTest
@WithTestResource(GatewayTestResources.class)
class PacksApiTest {

  private static final String TINY = "tiny";
  private static final String WAN = "wan2.1-t2v-reduced";

  @Inject
  PackCatalog catalog;

  @Test
  void listsEveryPackTheGatewayAcceptsJobsFor() {
    JsonPath list = as("studio-q").get("/v1/packs").then().statusCode(200).extract().jsonPath();

    assertThat(list.getList("packs.name")).containsExactlyElementsOf(catalog.names()).contains(TINY, WAN);
    assertThat(list.getList("packs.default", Boolean.class))
        .containsExactlyElementsOf(catalog.names().stream().map(catalog.defaultPack()::equals).toList());
    for (String name : catalog.names()) {
      assertThat(list.getMap("packs.find { it.name == '" + name + "' }"))
          .isEqualTo(as("studio-q").get("/v1/packs/{name}", name).then().statusCode(200).extract().jsonPath().getMap("$"));
    }
  }

  @Test
  void describesTheTinyPackFromItsManifest() {
    PackManifest m = manifest(TINY);
    int up = m.upsampler().factor();
    JsonPath tiny = as("studio-q").get("/v1/packs/{name}", TINY).then().statusCode(200)
        .body("version", equalTo(m.version()))
        .body("default", equalTo(true))
        .body("upsampler", equalTo(true))
        .body("output.width", equalTo(m.output().width()))
        .body("output.frames", equalTo(m.output().frames()))
        .body("output.fps", equalTo(m.output().fps()))
        .body("sampler.solver", equalTo("euler"))
        .body("sampler.steps", equalTo(m.sampler().steps()))
        .body("sampler.shift", equalTo((float) m.sampler().shift()))
        .body("sampler", not(hasKey("negativePrompt")))
        .extract().jsonPath();

    assertSizes(tiny, "sizes.withUpsample", m, up);
    assertSizes(tiny, "sizes.withoutUpsample", m, 1);
    assertFrames(tiny, m);
    // The numbers docs/model-packs.md and docs/api.md quote for the tiny pack.
    assertThat(tiny.getInt("sizes.withUpsample.width.multiple")).isEqualTo(32);
    assertThat(tiny.getInt("sizes.withoutUpsample.width.multiple")).isEqualTo(16);
  }

  @Test
  void describesTheWanPackFromItsManifest() {
    PackManifest m = manifest(WAN);
    JsonPath wan = as("studio-q").get("/v1/packs/{name}", WAN).then().statusCode(200)
        .body("default", equalTo(false))
        .body("upsampler", equalTo(false))
        .body("sizes", not(hasKey("withUpsample")))
        .body("output.width", equalTo(m.output().width()))
        .body("output.height", equalTo(m.output().height()))
        .body("sampler.solver", equalTo("unipc"))
        .body("sampler.steps", equalTo(m.sampler().steps()))
        .body("sampler.negativePrompt", equalTo(m.sampler().negativePrompt()))
        .extract().jsonPath();

    assertSizes(wan, "sizes.withoutUpsample", m, 1);
    assertFrames(wan, m);
    assertThat(wan.getInt("sizes.withoutUpsample.width.multiple")).isEqualTo(16);
  }

  @Test
  void theListedSizesAreExactlyTheOnesJobValidationAccepts() {
    for (String name : catalog.names()) {
      ModelPack pack = catalog.pack(name).orElseThrow();
      JsonPath described = as("studio-q").get("/v1/packs/{name}", name).then().extract().jsonPath();
      for (boolean upsample : pack.manifest().hasUpsampler() ? List.of(true, false) : List.of(false)) {
        String at = upsample ? "sizes.withUpsample." : "sizes.withoutUpsample.";
        int step = described.getInt(at + "width.multiple");
        int min = described.getInt(at + "width.min");
        int max = described.getInt(at + "width.max");
        int frames = described.getInt("sizes.frames.max");
        int height = described.getInt(at + "height.min");
        for (int width : List.of(min, max)) {
          assertThat(pack.sizeRules().resolve(width, height, frames, upsample).width()).isEqualTo(width);
        }
        for (int width : List.of(min - step, max + step, min + step / 2)) {
          assertThatThrownBy(() -> pack.sizeRules().resolve(width, height, frames, upsample))
              .as("%s width %d upsample %s", name, width, upsample).isInstanceOf(IllegalArgumentException.class);
        }
        int frameStep = described.getInt("sizes.frames.step");
        assertThatThrownBy(() -> pack.sizeRules().resolve(min, height, frames + frameStep, upsample))
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  @Test
  void aJobOfAnInvalidSizeIsRefusedNamingTheNearestValidOnes() {
    // 100 wide and 18 frames lie between two valid values of the Wan pack's (multiples of 16, 1 + 4k frames).
    as("studio-q").contentType(ContentType.JSON)
        .body("[{\"prompt\": \"a red ball\", \"pack\": \"" + WAN + "\", \"width\": 100, \"height\": 96, \"frames\": 18}]")
        .post("/v1/batches").then()
        .statusCode(400)
        .body("reason", containsString("width 100 is not valid for pack " + WAN + ": it must be a multiple of 16 "
            + "between 16 and 512 (nearest valid: 96 or 112)"))
        .body("reason", containsString("frames 18 is not valid for pack " + WAN + ": the decoder produces 1 + 4k "
            + "frames, from 1 to 81 (nearest valid: 17 or 21)"));

    as("studio-q").contentType(ContentType.JSON)
        .body("[{\"prompt\": \"a red ball\", \"pack\": \"" + WAN + "\", \"upsample\": true}]")
        .post("/v1/batches").then()
        .statusCode(400)
        .body("reason", containsString("pack " + WAN + " has no upsampler: render with upsample off"));
  }

  @Test
  void anUnknownPackIsAnswered404NamingTheKnownOnes() {
    as("studio-q").get("/v1/packs/{name}", "huge").then()
        .statusCode(404)
        .body("status", equalTo(404))
        .body("reason", equalTo("unknown pack 'huge'; known packs: " + String.join(", ", catalog.names())));
    // A name that no pack could have is not echoed.
    as("studio-q").get("/v1/packs/{name}", "<script>").then()
        .statusCode(404)
        .body("reason", equalTo("unknown pack; known packs: " + String.join(", ", catalog.names())));
  }

  @Test
  void needsAnApiKey() {
    given().get("/v1/packs").then().statusCode(401);
    given().get("/v1/packs/{name}", TINY).then().statusCode(401);
  }

  @Test
  void isInTheOpenApiDocument() {
    given().accept(ContentType.JSON).queryParam("format", "json").get("/q/openapi").then().statusCode(200)
        .body("paths.'/v1/packs'.get.summary", equalTo("The model packs jobs may name"))
        .body("paths.'/v1/packs/{name}'.get.security[0]", hasKey("apiKey"));
  }

  /** Width and height: multiples of spatialFactor * patch * upsampling, over the latent range in whole patches. */
  private static void assertSizes(JsonPath pack, String at, PackManifest m, int upsampling) {
    Map<String, Integer> axes = Map.of("height", 1, "width", 2);
    axes.forEach((axis, i) -> {
      int patch = m.dit().patchSize().get(i);
      int multiple = m.decoder().spatialFactor() * patch * upsampling;
      int minPatches = (m.limits().minLatentSize() + patch - 1) / patch;
      assertThat(pack.getMap(at + "." + axis)).as(at + "." + axis).isEqualTo(Map.of(
          "multiple", multiple,
          "min", minPatches * multiple,
          "max", m.limits().maxLatentSize() / patch * multiple));
    });
  }

  private static void assertFrames(JsonPath pack, PackManifest m) {
    int r = m.decoder().temporalFactor();
    assertThat(pack.getMap("sizes.frames")).isEqualTo(Map.of(
        "rule", "1 + " + r + "k", "step", r, "min", 1, "max", 1 + r * (m.limits().maxLatentFrames() - 1)));
  }

  private PackManifest manifest(String name) {
    return catalog.pack(name).orElseThrow().manifest();
  }

  private static RequestSpecification as(String tenant) {
    return given().header("Authorization", "Bearer " + GatewayTestResources.key(tenant));
  }
}
