/**
 * Layering rules for Stele (see docs/architecture.md). CI runs `npm run layers`; a violation fails it.
 * machinery and pkg are leaves: what users embed must never drag in a daemon.
 */
module.exports = {
  forbidden: [
    {
      name: "machinery-is-a-leaf",
      comment: "src/machinery is the public library: it may import only itself, node: and npm packages",
      severity: "error",
      from: { path: "^src/machinery/" },
      to: { path: "^src/", pathNot: "^src/machinery/" },
    },
    {
      name: "pkg-is-a-leaf",
      comment: "src/pkg holds leaf helpers: they import only src/pkg",
      severity: "error",
      from: { path: "^src/pkg/" },
      to: { path: "^src/", pathNot: "^src/pkg/" },
    },
    {
      name: "no-app-to-app",
      comment: "a daemon never imports another daemon: they talk over gRPC",
      severity: "error",
      from: { path: "^src/app/([^/]+)/" },
      to: { path: "^src/app/", pathNot: "^src/app/$1/" },
    },
    {
      name: "nothing-imports-cli",
      comment: "the CLI is a consumer; library and daemons must not depend on it",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(cli|main)" },
      to: { path: "^src/cli/" },
    },
    {
      name: "ffi-only-in-pkg-linux",
      comment: "only src/pkg/linux may touch FFI (koffi)",
      severity: "error",
      from: { pathNot: "^src/pkg/linux/" },
      to: { path: "node_modules/koffi" },
    },
    {
      name: "generated-api-is-self-contained",
      comment: "generated protobuf code (src/machinery/api) imports only itself and npm packages",
      severity: "error",
      from: { path: "^src/machinery/api/" },
      to: { path: "^src/", pathNot: "^src/machinery/api/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "tests-stay-beside-code",
      comment: "production code never imports a test file",
      severity: "error",
      from: { pathNot: "\\.test\\.ts$" },
      to: { path: "\\.test\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
