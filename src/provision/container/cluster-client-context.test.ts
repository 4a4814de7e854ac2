import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { mintClientConfig, parseClientConfig } from "../../machinery/client/index.ts";
import { createCertificateAuthority } from "../../machinery/pki/certificate-authority.ts";
import { mergeClusterContext, removeClusterContext } from "./cluster-client-context.ts";

const dir = mkdtempSync(join(tmpdir(), "stele-context-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const osCA = await createCertificateAuthority({
  commonName: "stele-os",
  algorithm: "ed25519",
  ttlMs: 3_600_000,
});
const mint = (name: string) =>
  mintClientConfig({
    osCA,
    roles: ["os:admin"],
    contextName: name,
    endpoints: ["10.5.0.2"],
    nodes: ["10.5.0.2"],
  });
const read = (path: string) => parseClientConfig(readFileSync(path, "utf8"), { file: path });

test("the first merge creates the client config (0600) with the cluster's context current", async () => {
  const path = join(dir, "new", "config");
  const minted = await mint("dev");
  assert.deepEqual(mergeClusterContext(path, minted), { context: "dev" });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(read(path), minted);
});

test("an existing context of that name is kept; the cluster's is renamed, and removed by its certificate", async () => {
  const path = join(dir, "taken");
  const mine = await mint("dev");
  const theirs = await mint("dev");
  mergeClusterContext(path, theirs);
  assert.deepEqual(mergeClusterContext(path, mine), { context: "dev-1", renamedFrom: "dev" });
  assert.equal(read(path).context, "dev-1");
  // Asked to remove "dev" with our certificate: "dev" is not ours, so it stays.
  assert.deepEqual(removeClusterContext(path, { context: "dev", crt: mine.contexts["dev"]!.crt }), {
    removed: false,
  });
  assert.deepEqual(removeClusterContext(path, { context: "dev-1", crt: mine.contexts["dev"]!.crt }), {
    removed: true,
    current: "dev",
  });
  assert.deepEqual(Object.keys(read(path).contexts), ["dev"]);
  assert.equal(read(path).contexts["dev"]!.crt, theirs.contexts["dev"]!.crt);
});

test("removing the last context leaves a valid empty config; a missing file is nothing to do", async () => {
  const path = join(dir, "last");
  const minted = await mint("solo");
  mergeClusterContext(path, minted);
  assert.deepEqual(removeClusterContext(path, { context: "solo", crt: minted.contexts["solo"]!.crt }), {
    removed: true,
    current: "",
  });
  assert.deepEqual(read(path), { context: "", contexts: {} });
  assert.deepEqual(removeClusterContext(join(dir, "absent"), { context: "x", crt: "y" }), { removed: false });
});
