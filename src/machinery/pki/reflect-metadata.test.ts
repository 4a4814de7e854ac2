import assert from "node:assert/strict";
import { test } from "node:test";
import "./reflect-metadata.ts";

interface Metadata {
  defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void;
  getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  getMetadata(key: unknown, target: object, property?: string | symbol): unknown;
}
const reflect = Reflect as unknown as Metadata;

test("metadata is kept per target and property, and inherited along the prototype chain", () => {
  class Base {}
  class Derived extends Base {}
  reflect.defineMetadata("token", "base", Base);
  reflect.defineMetadata("token", "method", Base, "run");
  assert.equal(reflect.getOwnMetadata("token", Base), "base");
  assert.equal(reflect.getOwnMetadata("token", Derived), undefined, "own metadata is not inherited");
  assert.equal(reflect.getMetadata("token", Derived), "base", "but metadata is");
  assert.equal(reflect.getMetadata("token", Base, "run"), "method");
  assert.equal(reflect.getMetadata("other", Derived), undefined);
  reflect.defineMetadata("token", "derived", Derived);
  assert.equal(reflect.getMetadata("token", Derived), "derived", "a subclass's own value wins");
});

test("@peculiar/x509 loads behind it", async () => {
  const { x509 } = await import("./x509.ts");
  assert.equal(typeof x509.X509CertificateGenerator.create, "function");
});
