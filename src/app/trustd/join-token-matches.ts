import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether a presented join token is the cluster's, compared in constant time: both are hashed with
 * SHA-256 first, so the comparison takes the same time whatever the length or the first differing
 * byte of the guess, and timingSafeEqual gets the equal-length inputs it requires. A missing or empty
 * token never matches, even if the expected one were empty.
 */
export function joinTokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || presented === "" || expected === "") return false;
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
