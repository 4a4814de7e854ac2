import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import type { LogEntry } from "./log-entry.ts";
import { parseLogLine } from "./log-line-json.ts";
import { LogManager } from "./log-manager.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stele-logs-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = new Date("2025-01-01T00:00:00Z");
const fileEntries = (service: string): LogEntry[] =>
  readFileSync(join(dir, `${service}.log`), "utf8")
    .trimEnd()
    .split("\n")
    .map(parseLogLine);
const project = (entries: readonly LogEntry[]) =>
  entries.map(({ seq, stream, line }) => ({ seq, stream, line }));

test("a sink splits each stream into lines and writes them to the ring and the file with the same seq", async () => {
  const logs = new LogManager({ dir, now: () => T0 });
  const sink = logs.sink("etcd");
  sink.log("starting etcd");
  sink.write("stdout", Buffer.from("out 1\nout"));
  sink.write("stderr", "err 1\n");
  sink.write("stdout", " 2\n");
  sink.write("stderr", "unterminated");
  sink.end("stderr");
  const expected = [
    { seq: 1, stream: "machined", line: "starting etcd" },
    { seq: 2, stream: "stdout", line: "out 1" },
    { seq: 3, stream: "stderr", line: "err 1" },
    { seq: 4, stream: "stdout", line: "out 2" },
    { seq: 5, stream: "stderr", line: "unterminated" },
  ];
  assert.deepEqual(project(logs.ring("etcd").tail(10)), expected);
  await logs.close();
  assert.deepEqual(project(fileEntries("etcd")), expected);
  assert.equal(fileEntries("etcd")[0]!.time.getTime(), T0.getTime());
});

test("each service has its own ring, file and seq; services() lists them sorted", async () => {
  const logs = new LogManager({ dir });
  logs.sink("kubelet").write("stdout", "k\n");
  logs.sink("apid").write("stdout", "a1\na2\n");
  assert.equal(logs.sink("apid"), logs.sink("apid"));
  assert.deepEqual(logs.services(), ["apid", "kubelet"]);
  assert.deepEqual(
    logs
      .ring("apid")
      .tail(5)
      .map((e) => e.seq),
    [1, 2],
  );
  assert.equal(logs.ring("kubelet").lastSeq, 1);
  await logs.close();
  assert.equal(fileEntries("apid").length, 2);
  assert.equal(fileEntries("kubelet").length, 1);
});

test("without a directory, logs are kept in memory only", async () => {
  const logs = new LogManager();
  logs.sink("machined").log("early boot");
  assert.equal(logs.ring("machined").tail(1)[0]?.line, "early boot");
  await logs.close();
});

test("asking for the ring of a service without a log names the services that have one", () => {
  const logs = new LogManager();
  logs.sink("etcd");
  assert.throws(
    () => logs.ring("etdc"),
    (error: unknown) =>
      isSteleError(error) &&
      error.code === "not-found" &&
      error.message === "No log for service: etdc" &&
      error.hint === "services with logs: etcd",
  );
});

for (const id of ["../etc/passwd", "a/b", ".hidden", "", "x".repeat(200)]) {
  test(`refuses the service id ${JSON.stringify(id.slice(0, 20))}, which would name a file elsewhere`, () => {
    assert.throws(
      () => new LogManager({ dir }).sink(id),
      (error: unknown) => isSteleError(error) && error.code === "invalid-argument" && !!error.hint,
    );
  });
}

test("refuses bad ring or file options at construction, before any service logs", () => {
  assert.throws(() => new LogManager({ ring: { maxBytes: 10 } }), /Invalid log ring size/);
  assert.throws(() => new LogManager({ file: { keep: 0 } }), /Invalid number of rotated log files/);
});

const TOKEN = "abcdef.0123456789abcdef";

test("with redactMachinedLog, machined's messages are redacted, service output is not", async () => {
  const logs = new LogManager({ dir, redactMachinedLog: true });
  const sink = logs.sink("machined");
  sink.log(`joining with token ${TOKEN}`);
  sink.write("stdout", `service printed ${TOKEN}\n`);
  const [message, output] = logs.ring("machined").tail(2);
  assert.equal(message?.line, "joining with token [redacted token]");
  assert.equal(output?.line, `service printed ${TOKEN}`);
  await logs.close();
  assert.ok(!readFileSync(join(dir, "machined.log"), "utf8").includes(`token ${TOKEN}`));
});

test("without redactMachinedLog, machined's messages are stored as given", () => {
  const logs = new LogManager();
  assert.equal(logs.sink("machined").log(`t ${TOKEN}`).line, `t ${TOKEN}`);
});

test("close ends followers after what they have not read, and refuses new logs", async () => {
  const logs = new LogManager({ dir });
  const sink = logs.sink("etcd");
  sink.write("stdout", "one\ntwo\n");
  const seen: string[] = [];
  const following = (async () => {
    for await (const entry of logs.ring("etcd").follow({ tailLines: 1 })) seen.push(entry.line);
  })();
  sink.write("stdout", "three\npartial");
  await logs.close();
  await following;
  assert.deepEqual(seen, ["two", "three", "partial"]);
  assert.deepEqual(
    fileEntries("etcd").map((e) => e.line),
    ["one", "two", "three", "partial"],
  );
  assert.throws(() => logs.sink("new"), /the log manager is closed/);
  assert.throws(() => sink.write("stdout", "late\n"), /it is closed/);
});
