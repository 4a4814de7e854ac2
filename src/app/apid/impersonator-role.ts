/**
 * The Organization value of the certificates peer apids dial each other with when they route a
 * request one hop (`stelectl --nodes worker-1` sent to a control-plane node). It is deliberately
 * not one of `ROLES`: `parseRoles` refuses it, so `stelectl config new` can never mint it, and it
 * grants nothing by itself. It only lets the caller state, in `x-stele-forwarded-roles`, the roles
 * of the client it forwards for, as Talos's `os:impersonator` does.
 */
export const IMPERSONATOR_ROLE = "os:impersonator";
