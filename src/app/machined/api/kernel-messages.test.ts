import assert from "node:assert/strict";
import { test } from "node:test";
import { isSteleError } from "../../../machinery/errors.ts";
import { formatRecord, streamKernelMessages } from "./kernel-messages.ts";

test("a /dev/kmsg record becomes a dmesg line", () => {
  assert.equal(formatRecord("6,1234,5678901,-;eth0: link up\n"), "[    5.678901] eth0: link up\n");
  assert.equal(formatRecord("4,1,0,-;first\n SUBSYSTEM=net\n"), "[    0.000000] first\n");
});

test("an unreadable kernel log in container mode fails as a precondition of the platform", async () => {
  await assert.rejects(
    streamKernelMessages({
      follow: false,
      tail: false,
      signal: new AbortController().signal,
      platformMode: "container",
      onLines: async () => {},
      device: "/nonexistent/kmsg",
    }),
    (error) =>
      isSteleError(error) &&
      error.code === "failed-precondition" &&
      error.message.startsWith("kernel messages are not readable in container mode: "),
  );
});
