import assert from "node:assert/strict";
import { test } from "node:test";
import {
  GetRequest,
  ListRequest,
  type ResourceDefinition,
  ResourceServiceService,
} from "../../machinery/api/resource/v1alpha1/resource.ts";
import { createSensitiveResourceGuard } from "./sensitive-resource-guard.ts";

const KEYS: ResourceDefinition = {
  type: "OSRootSecrets.secrets.stele.dev",
  aliases: ["osroot"],
  defaultNamespace: "secrets",
  sensitive: true,
  printColumns: [],
};
const get = (type: string) => Buffer.from(GetRequest.encode(GetRequest.fromPartial({ type })).finish());
const list = (type: string) => Buffer.from(ListRequest.encode(ListRequest.fromPartial({ type })).finish());
const GET = ResourceServiceService.get.path;

test("a type that appears after the first lookup is found by asking machined again", async () => {
  let served: ResourceDefinition[] = [];
  let asked = 0;
  const guard = createSensitiveResourceGuard({
    fetchDefinitions: async () => {
      asked++;
      return served;
    },
  });
  await guard(GET, get("hostname"), ["os:reader"]);
  served = [KEYS];
  await assert.rejects(guard(ResourceServiceService.list.path, list("osroot"), ["os:reader"]), {
    code: "permission-denied",
    message: "Resource type OSRootSecrets.secrets.stele.dev holds secrets: readable by os:admin only",
  });
  const before = asked;
  await assert.rejects(guard(GET, get("OSROOT"), ["os:operator"]), { code: "permission-denied" });
  assert.equal(asked, before, "a known type does not ask again");
});

test("os:admin and non-read methods are never checked; machined is not asked for them", async () => {
  let asked = 0;
  const guard = createSensitiveResourceGuard({
    fetchDefinitions: async () => {
      asked++;
      return [KEYS];
    },
  });
  await guard(GET, get("osroot"), ["os:admin"]);
  await guard(ResourceServiceService.resourceDefinitions.path, Buffer.alloc(0), ["os:reader"]);
  assert.equal(asked, 0);
});

test("when machined cannot list the definitions, reads are refused as unavailable, and retried later", async () => {
  let fail = true;
  const guard = createSensitiveResourceGuard({
    fetchDefinitions: async () => {
      if (fail) throw new Error("connect ENOENT");
      return [KEYS];
    },
  });
  await assert.rejects(guard(GET, get("osroot"), ["os:reader"]), { code: "unavailable" });
  fail = false;
  await assert.rejects(guard(GET, get("osroot"), ["os:reader"]), { code: "permission-denied" });
});

test("a request that does not decode is refused as invalid", async () => {
  const guard = createSensitiveResourceGuard({ fetchDefinitions: async () => [KEYS] });
  await assert.rejects(guard(GET, Buffer.from([0xff, 0xff, 0xff]), ["os:reader"]), {
    code: "invalid-argument",
  });
});
