/**
 * A path to a value inside one config document: keys of mappings and indexes of lists, as the
 * parsed YAML has them. It is what the schema, the validator, patches and audits agree on, so a
 * position in the source can be found for any of their findings.
 */
export type ConfigPath = ReadonlyArray<string | number>;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Renders a path the way users read it in error messages: dotted keys and `[i]` for list indexes
 * (`network.interfaces[0].mtu`). A key that is not a plain identifier, such as a sysctl name, is
 * quoted in brackets (`sysctls["net.ipv4.ip_forward"]`) so the dots inside it are not mistaken for
 * nesting.
 */
export function formatConfigPath(path: ConfigPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
