import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { joinTokenMatches } from "./join-token-matches.ts";

const TOKEN = "abcdef.0123456789abcdef";

test("the cluster's token matches", () => assert.equal(joinTokenMatches(TOKEN, TOKEN), true));

test("a missing or empty token never matches, even an empty expected one", () => {
  assert.equal(joinTokenMatches(undefined, TOKEN), false);
  assert.equal(joinTokenMatches("", TOKEN), false);
  assert.equal(joinTokenMatches("", ""), false);
});

test("any other token does not match, whatever its length", () => {
  fc.assert(fc.property(fc.string(), (guess) => joinTokenMatches(guess, TOKEN) === (guess === TOKEN)));
  assert.equal(joinTokenMatches(`${TOKEN}x`, TOKEN), false);
  assert.equal(joinTokenMatches(TOKEN.slice(0, -1), TOKEN), false);
});
