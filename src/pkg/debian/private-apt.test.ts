import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DebianError } from "./debian-error.ts";
import { DEBIAN_TRIXIE, preparePrivateApt, privateAptConfig, privateSourcesList } from "./private-apt.ts";

const dir = mkdtempSync(join(tmpdir(), "private-apt-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the sources list names Debian 13 main, signed by the Debian archive keyring", () => {
  assert.equal(
    privateSourcesList(),
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n",
  );
  assert.equal(DEBIAN_TRIXIE.architecture, "amd64");
});

test("apt, as configured, reads and writes only inside the cache directory", async () => {
  const apt = await preparePrivateApt(join(dir, "cache"));
  // What apt itself resolves from APT_CONFIG (the host's /etc/apt/apt.conf.d is not read).
  const dump = execFileSync("apt-config", ["dump"], { env: apt.env, encoding: "utf8" });
  const value = (key: string) => new RegExp(`^${key} "(.*)";$`, "m").exec(dump)?.[1];
  assert.equal(value("Dir::State::status"), "/dev/null");
  assert.equal(value("Dir::Etc"), join(apt.root, "etc"));
  assert.equal(value("Dir::State::lists"), apt.listsDir);
  assert.equal(value("Dir::Cache::archives"), join(apt.root, "cache", "archives"));
  assert.equal(value("APT::Architecture"), "amd64");
  assert.equal(value("Acquire::GzipIndexes"), "false");
  // Settings that only the host's apt.conf.d could have introduced are absent.
  assert.equal(value("Acquire::Check-Valid-Until"), undefined);
  const hostParts = execFileSync("apt-config", ["dump"], {
    env: { ...process.env, APT_CONFIG: "" },
    encoding: "utf8",
  });
  for (const line of hostParts
    .split("\n")
    .filter((l) => /^(DPkg::Post-Invoke|APT::Update::Post-Invoke)/.test(l))) {
    assert.ok(!dump.includes(line), `host setting leaked: ${line}`);
  }
  assert.equal(readFileSync(join(apt.root, "etc", "sources.list"), "utf8"), privateSourcesList());
});

test("a cache path that would break apt.conf's syntax is refused", () => {
  assert.throws(() => privateAptConfig('/tmp/a"b'), DebianError);
  assert.throws(() => privateAptConfig("/tmp/a;b"), /Invalid path for a private apt configuration/);
});
