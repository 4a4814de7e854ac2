/**
 * The role table as a specification: who may call what, method by method and role by role, and a check
 * against the generated service definitions that no RPC is left out of the table and no entry names an
 * RPC that does not exist.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { authorize, MAINTENANCE_ALLOWED_METHODS, RBAC_RULES, TOKEN_AUTHENTICATED_METHODS } from "./rbac.ts";
import { ROLES, type Role } from "./roles.ts";

const MACHINE = "/stele.machine.v1alpha1.MachineService";
const VERSION = "/stele.machine.v1alpha1.VersionService";
const STATS = "/stele.machine.v1alpha1.StatsService";
const RESOURCE = "/stele.resource.v1alpha1.ResourceService";
const SECURITY = "/stele.security.v1alpha1.SecurityService";

const yes = true;
const no = false;

/** The callers of the specification, in the order of its columns. */
const CALLERS: readonly (readonly Role[])[] = [
  [],
  ["os:reader"],
  ["os:operator"],
  ["os:etcd:backup"],
  ["os:admin"],
];

// Every RPC, and whether a caller holding only that role may call it.
// biome-ignore format: a specification reads in columns
const SPECIFICATION: readonly (readonly [method: string, ...allowed: boolean[]])[] = [
  //                                              no role  reader  operator  etcd:backup  admin
  [`${VERSION}/Version`,                           no,     yes,    yes,      yes,         yes],

  [`${MACHINE}/ApplyConfiguration`,                no,     no,     no,       no,          yes],
  [`${MACHINE}/Reboot`,                            no,     no,     yes,      no,          yes],
  [`${MACHINE}/Shutdown`,                          no,     no,     yes,      no,          yes],
  [`${MACHINE}/Reset`,                             no,     no,     no,       no,          yes],
  [`${MACHINE}/Bootstrap`,                         no,     no,     no,       no,          yes],
  [`${MACHINE}/Upgrade`,                           no,     no,     no,       no,          yes],
  [`${MACHINE}/ServiceList`,                       no,     yes,    yes,      no,          yes],
  [`${MACHINE}/ServiceStart`,                      no,     no,     yes,      no,          yes],
  [`${MACHINE}/ServiceStop`,                       no,     no,     yes,      no,          yes],
  [`${MACHINE}/ServiceRestart`,                    no,     no,     yes,      no,          yes],
  [`${MACHINE}/Logs`,                              no,     yes,    yes,      no,          yes],
  [`${MACHINE}/Dmesg`,                             no,     yes,    yes,      no,          yes],
  [`${MACHINE}/Events`,                            no,     yes,    yes,      no,          yes],
  [`${MACHINE}/List`,                              no,     yes,    yes,      no,          yes],
  [`${MACHINE}/Read`,                              no,     no,     no,       no,          yes],
  [`${MACHINE}/Processes`,                         no,     yes,    yes,      no,          yes],
  [`${MACHINE}/Memory`,                            no,     yes,    yes,      no,          yes],
  [`${MACHINE}/GenerateClientConfiguration`,       no,     no,     no,       no,          yes],
  [`${MACHINE}/EtcdMemberList`,                    no,     yes,    yes,      no,          yes],
  [`${MACHINE}/EtcdStatus`,                        no,     yes,    yes,      no,          yes],
  [`${MACHINE}/EtcdAlarmList`,                     no,     yes,    yes,      no,          yes],
  [`${MACHINE}/EtcdSnapshot`,                      no,     no,     yes,      yes,         yes],
  [`${MACHINE}/EtcdDefragment`,                    no,     no,     yes,      no,          yes],
  [`${MACHINE}/EtcdForfeitLeadership`,             no,     no,     yes,      no,          yes],
  [`${MACHINE}/EtcdAlarmDisarm`,                   no,     no,     yes,      no,          yes],
  [`${MACHINE}/EtcdLeaveCluster`,                  no,     no,     no,       no,          yes],
  [`${MACHINE}/EtcdRemoveMember`,                  no,     no,     no,       no,          yes],
  [`${MACHINE}/EtcdRecover`,                       no,     no,     no,       no,          yes],

  [`${STATS}/CPUStats`,                            no,     yes,    yes,      no,          yes],
  [`${STATS}/LoadAvg`,                             no,     yes,    yes,      no,          yes],
  [`${STATS}/MemoryStats`,                         no,     yes,    yes,      no,          yes],
  [`${STATS}/DiskStats`,                           no,     yes,    yes,      no,          yes],
  [`${STATS}/NetworkStats`,                        no,     yes,    yes,      no,          yes],
  [`${STATS}/Mounts`,                              no,     yes,    yes,      no,          yes],
  [`${STATS}/WatchStats`,                          no,     yes,    yes,      no,          yes],

  [`${RESOURCE}/Get`,                              no,     yes,    yes,      no,          yes],
  [`${RESOURCE}/List`,                             no,     yes,    yes,      no,          yes],
  [`${RESOURCE}/Watch`,                            no,     yes,    yes,      no,          yes],
  [`${RESOURCE}/ResourceDefinitions`,              no,     yes,    yes,      no,          yes],

  // Token-authenticated by trustd, never role-checked there; should it reach apid's check, admin only.
  [`${SECURITY}/Certificate`,                      no,     no,     no,       no,          yes],
];

/** The full method path of every RPC of every service the generated code defines. */
async function generatedMethodPaths(): Promise<string[]> {
  const root = fileURLToPath(new URL("../api/", import.meta.url));
  const files = (await readdir(root, { recursive: true }))
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
    .sort();
  const paths: string[] = [];
  for (const file of files) {
    const module: Record<string, unknown> = await import(join(root, file));
    for (const [name, value] of Object.entries(module)) {
      // ts-proto's grpc-js service definition: `<Name>Service`, one entry with a `path` per RPC.
      if (!name.endsWith("Service") || typeof value !== "object" || value === null) continue;
      for (const method of Object.values(value)) paths.push((method as { path: string }).path);
    }
  }
  return paths;
}

describe("RBAC_RULES against the generated services", () => {
  let methods: string[] = [];
  before(async () => {
    methods = await generatedMethodPaths();
  });

  test("the generated code defines the services this table was written for", () => {
    const services = new Set(methods.map((path) => path.slice(0, path.lastIndexOf("/"))));
    assert.deepEqual([...services].sort(), [MACHINE, RESOURCE, SECURITY, STATS, VERSION].sort());
  });

  test("every RPC is in RBAC_RULES or TOKEN_AUTHENTICATED_METHODS, and in only one of them", () => {
    const missing = methods.filter(
      (m) => !Object.hasOwn(RBAC_RULES, m) && !TOKEN_AUTHENTICATED_METHODS.has(m),
    );
    assert.deepEqual(missing, [], "decide who may call these RPCs in src/machinery/role/rbac.ts");
    const both = methods.filter((m) => Object.hasOwn(RBAC_RULES, m) && TOKEN_AUTHENTICATED_METHODS.has(m));
    assert.deepEqual(both, []);
  });

  test("every method the tables name exists", () => {
    const known = new Set(methods);
    const named = [
      ...Object.keys(RBAC_RULES),
      ...TOKEN_AUTHENTICATED_METHODS,
      ...MAINTENANCE_ALLOWED_METHODS,
    ];
    assert.deepEqual(
      named.filter((m) => !known.has(m)),
      [],
    );
  });

  test("the specification below covers every RPC, once", () => {
    assert.deepEqual(SPECIFICATION.map(([method]) => method).sort(), [...methods].sort());
  });
});

describe("who may call what", () => {
  for (const [method, ...allowed] of SPECIFICATION) {
    for (const [i, roles] of CALLERS.entries()) {
      const who = roles.length === 0 ? "a caller with no role" : roles.join(",");
      test(`${who} ${allowed[i] ? "may" : "may not"} call ${method}`, () => {
        assert.equal(authorize(method, roles).allowed, allowed[i]);
      });
    }
  }
});

describe("authorize", () => {
  test("a method missing from the table is admin-only", () => {
    const method = `${MACHINE}/SomethingNew`;
    assert.deepEqual(authorize(method, ["os:admin"]), { allowed: true, required: ["os:admin"] });
    for (const role of ROLES.filter((r) => r !== "os:admin")) {
      assert.deepEqual(authorize(method, [role]), { allowed: false, required: ["os:admin"] });
    }
  });

  test("names of Object.prototype are methods missing from the table, not rules", () => {
    for (const method of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      assert.deepEqual(authorize(method, ["os:reader"]), { allowed: false, required: ["os:admin"] });
    }
  });

  test("reports the roles that would have allowed a refused call, for the error's hint", () => {
    assert.deepEqual(authorize(`${MACHINE}/Reboot`, ["os:reader"]), {
      allowed: false,
      required: ["os:admin", "os:operator"],
    });
  });

  test("a caller holding several roles may call what any one of them allows", () => {
    assert.equal(authorize(`${MACHINE}/EtcdSnapshot`, ["os:reader", "os:etcd:backup"]).allowed, true);
    assert.equal(authorize(`${MACHINE}/Logs`, ["os:reader", "os:etcd:backup"]).allowed, true);
    assert.equal(authorize(`${MACHINE}/Reboot`, ["os:reader", "os:etcd:backup"]).allowed, false);
  });

  test("every rule names os:admin, so the table reads whole", () => {
    for (const [method, roles] of Object.entries(RBAC_RULES)) assert.ok(roles.includes("os:admin"), method);
  });

  test("holding more roles never takes a permission away", () => {
    const methods = [...Object.keys(RBAC_RULES), `${MACHINE}/SomethingNew`];
    const roleSet = fc.subarray([...ROLES]);
    fc.assert(
      fc.property(fc.constantFrom(...methods), roleSet, roleSet, (method, some, more) => {
        if (authorize(method, some).allowed)
          assert.equal(authorize(method, [...some, ...more]).allowed, true);
      }),
    );
  });
});

describe("MAINTENANCE_ALLOWED_METHODS", () => {
  test("lets an unconfigured node be identified, inspected and configured, and nothing else", () => {
    assert.deepEqual(
      [...MAINTENANCE_ALLOWED_METHODS].sort(),
      [
        `${MACHINE}/ApplyConfiguration`,
        `${VERSION}/Version`,
        `${RESOURCE}/Get`,
        `${RESOURCE}/List`,
        `${RESOURCE}/ResourceDefinitions`,
        `${RESOURCE}/Watch`,
      ].sort(),
    );
  });

  test("apart from ApplyConfiguration, holds only methods os:reader may call anyway", () => {
    for (const method of MAINTENANCE_ALLOWED_METHODS) {
      if (method === `${MACHINE}/ApplyConfiguration`) continue;
      assert.equal(authorize(method, ["os:reader"]).allowed, true, method);
    }
  });
});
