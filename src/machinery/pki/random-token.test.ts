import assert from "node:assert/strict";
import { test } from "node:test";
import { generateToken, randomString, TOKEN_PATTERN } from "./random-token.ts";

test("tokens have the bootstrap token form and do not repeat", () => {
  const tokens = Array.from({ length: 200 }, generateToken);
  for (const token of tokens) assert.match(token, TOKEN_PATTERN);
  assert.equal(new Set(tokens).size, tokens.length);
});

test("every character of the alphabet is equally likely (no modulo bias)", () => {
  // 36 symbols over bytes: a plain `byte % 36` makes a–d 8/256 likely and the rest 7/256, which
  // gives a chi-square near 350 with this sample. Uniform output stays far below 85 (p ≈ 1e-6).
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const perSymbol = 5000;
  const text = randomString(alphabet.length * perSymbol, alphabet);
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort(), [...alphabet].sort());
  const chiSquare = [...counts.values()].reduce(
    (sum, count) => sum + (count - perSymbol) ** 2 / perSymbol,
    0,
  );
  assert.ok(chiSquare < 85, `chi-square ${chiSquare.toFixed(1)} with 35 degrees of freedom`);
});

test("randomString returns exactly the length asked for", () => {
  for (const length of [0, 1, 6, 16, 1000]) assert.equal(randomString(length).length, length);
});
