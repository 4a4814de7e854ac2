import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Metadata, status } from "@grpc/grpc-js";
import { SteleError } from "../../machinery/errors.ts";
import { describeRpcError } from "./describe-rpc-error.ts";
import { type ClientTestPki, generateClientTestPki } from "./fake-apid-fixture.ts";

const endpoint = "10.5.0.2:50000";
const grpcError = (code: number, details: string, hint?: string) => {
  const metadata = new Metadata();
  if (hint) metadata.set("x-stele-hint", hint);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
};

let pki: ClientTestPki;
before(async () => {
  pki = await generateClientTestPki();
});

const cases: Array<[string, ReturnType<typeof grpcError>, RegExp, RegExp | undefined]> = [
  [
    "connection refused",
    grpcError(
      status.UNAVAILABLE,
      "No connection established. Last error: Error: connect ECONNREFUSED 10.5.0.2:50000. Resolution note: ",
    ),
    /^Cannot reach endpoint 10\.5\.0\.2:50000: connection refused$/,
    /--endpoints/,
  ],
  [
    "unknown host",
    grpcError(
      status.UNAVAILABLE,
      "Name resolution failed for target dns:nosuch:50000: getaddrinfo ENOTFOUND nosuch",
    ),
    /^Cannot reach endpoint 10\.5\.0\.2:50000: no such host$/,
    /--endpoints/,
  ],
  [
    "server certificate from another CA",
    grpcError(
      status.UNAVAILABLE,
      "No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ",
    ),
    /^The server certificate of 10\.5\.0\.2:50000 is not signed by the context's CA: self-signed certificate in certificate chain$/,
    /--insecure/,
  ],
  [
    "server certificate naming another host",
    grpcError(
      status.UNAVAILABLE,
      "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.5.0.2 is not in the cert's list: 10.9.9.9. Resolution note: ",
    ),
    /^The server certificate of 10\.5\.0\.2:50000 does not name the address dialled: Hostname\/IP does not match/,
    /certSANs/,
  ],
  [
    "expired server certificate",
    grpcError(
      status.UNAVAILABLE,
      "No connection established. Last error: Error: certificate has expired. Resolution note: ",
    ),
    /^The server certificate of 10\.5\.0\.2:50000 has expired$/,
    /clock/,
  ],
  [
    "permission denied, with the server's hint",
    grpcError(
      status.PERMISSION_DENIED,
      "Access denied: Reset needs role os:admin; you have os:operator",
      "Ask an admin",
    ),
    /^Access denied: Reset needs role os:admin; you have os:operator$/,
    /^Ask an admin$/,
  ],
  [
    "permission denied, without a hint",
    grpcError(status.PERMISSION_DENIED, "Access denied: Reset needs role os:admin"),
    /^Access denied: Reset needs role os:admin$/,
    /stelectl config new --roles/,
  ],
  [
    "a status the node sent passes through with its hint",
    grpcError(status.NOT_FOUND, 'No service "kubelet"', "List them with stelectl services"),
    /^No service "kubelet"$/,
    /^List them/,
  ],
  [
    "UNAVAILABLE sent by the node is the node's words",
    grpcError(
      status.UNAVAILABLE,
      "Cannot forward to node 10.5.0.9: machined is starting",
      "Retry in a minute",
    ),
    /^Cannot forward to node 10\.5\.0\.9: machined is starting$/,
    /^Retry/,
  ],
];

for (const [name, error, message, hint] of cases) {
  test(`describeRpcError: ${name}`, () => {
    const described = describeRpcError(error, { endpoint });
    assert.match(described.message, message);
    if (hint) assert.match(described.hint ?? "", hint);
  });
}

test("describeRpcError: a dropped handshake is explained by the client certificate, when that is the cause", () => {
  const dropped = grpcError(
    status.UNAVAILABLE,
    "No connection established. Last error: Error: read ECONNRESET",
  );
  const expired = describeRpcError(dropped, { endpoint, context: { ca: pki.ca.crt, crt: pki.expired.crt } });
  assert.match(
    expired.message,
    /^10\.5\.0\.2:50000 refused the client certificate: the client certificate .* expired on/,
  );
  const foreign = describeRpcError(dropped, {
    endpoint,
    context: { ca: pki.ca.crt, crt: pki.otherCluster.crt },
  });
  assert.match(foreign.message, /is not issued by a CA the node trusts/);
  const fine = describeRpcError(dropped, { endpoint, context: { ca: pki.ca.crt, crt: pki.admin.crt } });
  assert.equal(fine.message, "Cannot reach endpoint 10.5.0.2:50000: connection reset");
});

test("describeRpcError: a SteleError is returned as it is", () => {
  const error = new SteleError("not-found", "No such thing", "hint");
  assert.equal(describeRpcError(error, { endpoint }), error);
});
