import assert from "node:assert/strict";
import { test } from "node:test";
import { createFailedAttemptLimiter } from "./failed-attempt-limiter.ts";

function limiterAt(start: number, options: { limit?: number; maxPeers?: number } = {}) {
  const clock = { now: start };
  const limiter = createFailedAttemptLimiter({ windowMs: 60_000, now: () => clock.now, ...options });
  return { clock, limiter };
}

test("a peer may fail `limit` times and is then refused until the oldest failure leaves the window", () => {
  const { clock, limiter } = limiterAt(1_000_000, { limit: 10 });
  for (let i = 0; i < 10; i++) {
    assert.equal(limiter.retryAfterMs("10.0.0.5"), 0, `attempt ${i + 1} is allowed`);
    limiter.recordFailure("10.0.0.5");
    clock.now += 1_000;
  }
  assert.equal(limiter.retryAfterMs("10.0.0.5"), 50_000);
  clock.now += 49_999;
  assert.ok(limiter.retryAfterMs("10.0.0.5") > 0);
  clock.now += 1;
  assert.equal(limiter.retryAfterMs("10.0.0.5"), 0);
});

test("one peer's failures do not block another", () => {
  const { limiter } = limiterAt(0, { limit: 2 });
  limiter.recordFailure("10.0.0.5");
  limiter.recordFailure("10.0.0.5");
  assert.ok(limiter.retryAfterMs("10.0.0.5") > 0);
  assert.equal(limiter.retryAfterMs("10.0.0.6"), 0);
});

test("failures spread wider than the window never block", () => {
  const { clock, limiter } = limiterAt(0, { limit: 3 });
  for (let i = 0; i < 20; i++) {
    assert.equal(limiter.retryAfterMs("10.0.0.5"), 0);
    limiter.recordFailure("10.0.0.5");
    clock.now += 30_001;
  }
});

test("beyond maxPeers the oldest peers are forgotten, so memory stays bounded", () => {
  const { limiter } = limiterAt(0, { limit: 1, maxPeers: 2 });
  for (const peer of ["a", "b", "c"]) limiter.recordFailure(peer);
  assert.equal(limiter.retryAfterMs("a"), 0);
  assert.ok(limiter.retryAfterMs("b") > 0);
  assert.ok(limiter.retryAfterMs("c") > 0);
});
