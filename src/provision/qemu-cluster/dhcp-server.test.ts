import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { after, test } from "node:test";
import { decodeDhcpMessage, encodeDhcpMessage } from "../../pkg/dhcp/index.ts";
import { startDhcpServer } from "./dhcp-server.ts";

const client = createSocket("udp4");
await new Promise<void>((resolve) => client.bind(0, "127.0.0.1", resolve));
const lines: string[] = [];
const server = await startDhcpServer(
  {
    serverAddress: "10.5.0.254",
    subnetMask: "255.255.255.0",
    router: "10.5.0.1",
    leaseSeconds: 3600,
    reservations: new Map([["52:54:00:0a:0b:0c", { address: "10.5.0.2" }]]),
  },
  {
    bindAddress: "127.0.0.1",
    port: 0,
    broadcastTo: { address: "127.0.0.1", port: client.address().port },
    log: (line) => lines.push(line),
  },
);
after(async () => {
  client.close();
  await server.close();
});

test("answers a DISCOVER over UDP with an OFFER sent to the (broadcast) client port", async () => {
  const discover = encodeDhcpMessage({
    op: "request",
    htype: 1,
    hops: 0,
    xid: 42,
    secs: 0,
    broadcast: true,
    ciaddr: "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: "52:54:00:0a:0b:0c",
    sname: "",
    file: "",
    options: { messageType: "DISCOVER" },
  });
  const received = once(client, "message");
  client.send(discover, server.port, "127.0.0.1");
  const [packet] = (await received) as [Buffer];
  const offer = decodeDhcpMessage(packet);
  assert.equal(offer.options.messageType, "OFFER");
  assert.equal(offer.xid, 42);
  assert.equal(offer.yiaddr, "10.5.0.2");
});

test("drops a datagram that is not DHCP, saying so, and keeps serving", async () => {
  client.send(Buffer.from("not dhcp"), server.port, "127.0.0.1");
  for (let i = 0; i < 50 && !lines.some((line) => line.startsWith("dropped a malformed message")); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(
    lines.some((line) => line.startsWith("dropped a malformed message")),
    lines.join("\n"),
  );
});
