import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on now, for a QEMU host forward: the kernel picks
 * it (listen on port 0), and it is released at once. Another process could take it before QEMU
 * does; QEMU then fails to start, saying so, rather than forwarding someone else's traffic.
 */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
