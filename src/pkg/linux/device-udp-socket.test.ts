import assert from "node:assert/strict";
import { test } from "node:test";
import { openDeviceUdpSocket } from "./device-udp-socket.ts";

test("an interface name that cannot exist is refused before any system call", () => {
  for (const name of ["", "a".repeat(16), "eth\0"]) {
    assert.throws(
      () => openDeviceUdpSocket(name, { port: 68 }),
      { code: "invalid-argument" },
      JSON.stringify(name),
    );
  }
});

test("a missing interface fails with the call and errno named", {
  skip: process.getuid?.() !== 0 && "needs root",
}, () => {
  assert.throws(
    () => openDeviceUdpSocket("nosuch0", { port: 0 }),
    /setsockopt\(.*SO_BINDTODEVICE.*"nosuch0"\): ENODEV/,
  );
});
