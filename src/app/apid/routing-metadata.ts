/**
 * The metadata key a client names the node to reach in, when it talks to one node's apid about
 * another (`stelectl --nodes worker-1` through a control-plane endpoint). The same key as the CLI's
 * `NODE_METADATA_KEY` in `src/cli/client/node-session.ts`; apps may not import each other, so it is
 * written twice until it moves to `src/machinery`.
 */
export const NODE_METADATA_KEY = "x-stele-node";

/**
 * The metadata key apid tells machined the caller's roles in (comma-separated), so machined can log
 * who asked and filter what it serves; machined trusts it because only apid reaches its socket.
 */
export const CALLER_ROLES_METADATA_KEY = "x-stele-roles";
