import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { isSteleError } from "../../machinery/errors.ts";
import { keeperCommand, steleEntry } from "./keeper-command.ts";
import { type KeeperOptions, keeperArgs, parseKeeperArgs } from "./keeper-options.ts";

const BASE: KeeperOptions = {
  name: "demo-controlplane-1",
  netns: "stele-demo-demo-controlplane-1",
  rootfs: "/work/_out/images/rootfs.sqsh",
  nodeDir: "/root/.stele/clusters/demo/nodes/demo-controlplane-1",
  hostname: "demo-controlplane-1",
  cgroup: "/stele/demo/demo-controlplane-1",
  machinedArgs: ["--platform", "container", "--state-dir", "/system", "--var-dir", "/var"],
};

test("keeperArgs and parseKeeperArgs are inverses, machined's arguments passed through untouched", () => {
  const name = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/);
  fc.assert(
    fc.property(
      name,
      fc.option(
        fc
          .array(fc.stringMatching(/^[a-z0-9_-]{1,8}$/), { minLength: 1, maxLength: 4 })
          .map((s) => `/${s.join("/")}`),
        { nil: undefined },
      ),
      fc.array(fc.string(), { maxLength: 6 }),
      (node, imageCache, machinedArgs) => {
        const options: KeeperOptions = {
          ...BASE,
          name: node,
          hostname: node,
          cgroup: `/stele/c/${node}`,
          machinedArgs,
          ...(imageCache === undefined ? {} : { imageCache }),
        };
        assert.deepEqual(parseKeeperArgs(keeperArgs(options)), options);
      },
    ),
    { numRuns: 300 },
  );
});

for (const [why, change, expected] of [
  ["a missing flag", (a: string[]) => a.filter((_, i) => i !== 8 && i !== 9), /missing --hostname/],
  [
    "a relative rootfs",
    (a: string[]) => a.map((x, i) => (i === 5 ? "rootfs.sqsh" : x)),
    /--rootfs "rootfs.sqsh" is not an absolute path/,
  ],
  [
    "a netns with a slash",
    (a: string[]) => a.map((x, i) => (i === 3 ? "../x" : x)),
    /--netns "..\/x" is not a plain name/,
  ],
  [
    "an invalid hostname",
    (a: string[]) => a.map((x, i) => (i === 9 ? "bad_host" : x)),
    /--hostname "bad_host" is not a valid hostname/,
  ],
  [
    "a cgroup path with ..",
    (a: string[]) => a.map((x, i) => (i === 11 ? "/stele/../x" : x)),
    /Invalid cgroup path/,
  ],
  ["an unknown flag", (a: string[]) => ["--bogus", "1", ...a], /Unknown option '--bogus'/],
] as const) {
  test(`parseKeeperArgs refuses ${why}, saying what and how to call it`, () => {
    const args = change(keeperArgs(BASE));
    assert.throws(
      () => parseKeeperArgs(args),
      (error: unknown) =>
        isSteleError(error) &&
        error.code === "invalid-argument" &&
        expected.test(error.message) &&
        !!error.hint,
    );
  });
}

test("keeperCommand runs this Node.js on Stele's entry point with the sandbox-keeper program", () => {
  const { command, args } = keeperCommand(BASE);
  assert.equal(command, process.execPath);
  assert.equal(args[0], steleEntry());
  assert.match(args[0]!, /src\/main\.ts$/);
  assert.ok(existsSync(args[0]!));
  assert.equal(args[1], "sandbox-keeper");
  assert.deepEqual(parseKeeperArgs(args.slice(2)), BASE);
  const custom = keeperCommand({ ...BASE, nodeBinary: "/usr/bin/node", entry: "/usr/lib/stele/stele.mjs" });
  assert.deepEqual([custom.command, custom.args[0]], ["/usr/bin/node", "/usr/lib/stele/stele.mjs"]);
});
