import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The fake: a bash script that records every call, keeps an image list in a file, "imports"
 * archives by name (`bad*.tar` fails), and for `run` behaves like an attached container that ends
 * on SIGTERM (or ignores it while `ignore-term` exists, until `tasks kill` kills it).
 */
const SCRIPT = `#!/bin/bash
dir="$(dirname "$0")"
printf '%s\\n' "$*" >> "$dir/calls"
while [[ "$1" == --address || "$1" == --namespace ]]; do shift 2; done
case "$1 $2" in
  "images list") cat "$dir/images" 2>/dev/null; exit 0 ;;
  "images pull")
    if [ -f "$dir/pull-fails" ]; then echo "ctr: failed to resolve reference \\"$3\\": no route to host" >&2; exit 1; fi
    echo "$3" >> "$dir/images"; exit 0 ;;
  "images import")
    name="$(basename "$3" .tar)"
    if [[ "$name" == bad* ]]; then echo "ctr: unrecognized image format" >&2; exit 1; fi
    echo "unpacking example.com/$name:1 (sha256:0123abcd)...done"; exit 0 ;;
  "tasks kill")
    if [ -f "$dir/running.pid" ]; then kill -KILL "$(cat "$dir/running.pid")" 2>/dev/null; rm -f "$dir/running.pid"; exit 0; fi
    echo "ctr: task not found" >&2; exit 1 ;;
  "tasks delete"|"containers delete") echo "ctr: not found" >&2; exit 1 ;;
esac
if [ "$1" = run ]; then
  echo $$ > "$dir/running.pid"
  if [ -f "$dir/ignore-term" ]; then trap '' TERM; else trap 'echo "container got SIGTERM"; rm -f "$dir/running.pid"; exit 143' TERM; fi
  echo "container started: \${*: -1}"
  while true; do sleep 0.05; done
fi
echo "ctr: unknown command $1" >&2; exit 2
`;

/** A fake `ctr` in a temp dir, for tests of what machined asks of containerd. */
export interface FakeCtr {
  readonly dir: string;
  /** The script's path: pass it as the ctr binary. */
  readonly path: string;
  /** Every call's arguments, oldest first. */
  calls(): string[][];
  /** Sets the images containerd "has". */
  setImages(images: readonly string[]): void;
  /** Makes pulls fail (no registry). */
  failPulls(): void;
  /** Makes the container ignore SIGTERM. */
  ignoreTerm(): void;
  /** Whether a "container" runs now. */
  running(): boolean;
  remove(): void;
}

/** Creates a {@link FakeCtr}. */
export function fakeCtr(): FakeCtr {
  const dir = mkdtempSync(join(tmpdir(), "stele-fake-ctr-"));
  const path = join(dir, "ctr");
  writeFileSync(path, SCRIPT);
  chmodSync(path, 0o755);
  return {
    dir,
    path,
    calls: () =>
      existsSync(join(dir, "calls"))
        ? readFileSync(join(dir, "calls"), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((line) => line.split(" "))
        : [],
    setImages: (images) => writeFileSync(join(dir, "images"), images.map((i) => `${i}\n`).join("")),
    failPulls: () => writeFileSync(join(dir, "pull-fails"), ""),
    ignoreTerm: () => writeFileSync(join(dir, "ignore-term"), ""),
    running: () => existsSync(join(dir, "running.pid")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
