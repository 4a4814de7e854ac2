/**
 * `gen secrets` + `gen config`: what a user waits for when creating a cluster's configuration.
 * The floor is generating the same keys with raw node:crypto (4 CA keys, the service-account key and
 * the admin client key): the ratio is what certificates, YAML, validation and the CLI add on top.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintClientConfig, serializeClientConfig } from "../src/machinery/client/index.ts";
import { generateConfigs } from "../src/machinery/config/generate-config.ts";
import { serializeConfig } from "../src/machinery/config/serialize-config.ts";
import { generateSecretsBundle, serializeSecretsBundle } from "../src/machinery/pki/index.ts";
import { type Benchmark, measure } from "./harness.ts";

const STELECTL = join(import.meta.dirname, "..", "bin", "stelectl.js");
const QUIET = { stdio: "ignore" } as const;

/** The keys `gen secrets` + `gen config` create, made with node:crypto alone. */
function rawKeys(): void {
  generateKeyPairSync("ed25519"); // OS API CA
  for (let i = 0; i < 4; i++) generateKeyPairSync("ec", { namedCurve: "prime256v1" }); // 3 CAs + SA key
  generateKeyPairSync("ed25519"); // admin client
  randomBytes(32 * 3 + 44);
}

async function inProcess(): Promise<void> {
  const secrets = await generateSecretsBundle();
  serializeSecretsBundle(secrets);
  const configs = generateConfigs({ clusterName: "bench", endpoint: "https://10.5.0.2:6443", secrets });
  serializeConfig(configs.controlplane);
  serializeConfig(configs.worker);
  const client = await mintClientConfig({
    osCA: secrets.certs.os,
    roles: ["os:admin"],
    contextName: "bench",
    endpoints: ["10.5.0.2"],
  });
  serializeClientConfig(client);
}

const benchmark: Benchmark = {
  name: "gen-config",
  async run(ctx) {
    ctx.log("gen-config: in-process generation vs raw node:crypto keys");
    const floor = await measure(rawKeys, { iterations: 30, warmup: 3 });
    const value = await measure(inProcess, { iterations: 30, warmup: 3 });

    ctx.log("gen-config: the CLI as a user runs it (two processes) vs two node processes making the keys");
    const dir = mkdtempSync(join(tmpdir(), "stele-bench-gen-"));
    try {
      let run = 0;
      const cli = await measure(
        () => {
          const out = join(dir, String(run++));
          execFileSync(process.execPath, [STELECTL, "gen", "secrets", "-o", `${out}.secrets.yaml`], QUIET);
          execFileSync(
            process.execPath,
            [
              STELECTL,
              "gen",
              "config",
              "bench",
              "https://10.5.0.2:6443",
              "--with-secrets",
              `${out}.secrets.yaml`,
              "--output-dir",
              out,
            ],
            QUIET,
          );
        },
        { iterations: 5, warmup: 1 },
      );
      const script = `const c=require("node:crypto");c.generateKeyPairSync("ed25519");for(let i=0;i<4;i++)c.generateKeyPairSync("ec",{namedCurve:"prime256v1"});c.generateKeyPairSync("ed25519")`;
      const cliFloor = await measure(
        () => {
          execFileSync(process.execPath, ["-e", script]);
          execFileSync(process.execPath, ["-e", "0"]);
        },
        { iterations: 5, warmup: 1 },
      );
      return [
        {
          figure: "secrets + configs + client config, in process, p50",
          unit: "ms",
          value: value.p50,
          floor: floor.p50,
        },
        { figure: "`gen secrets` + `gen config` CLI, p50", unit: "ms", value: cli.p50, floor: cliFloor.p50 },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
