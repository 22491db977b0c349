/**
 * The namespace types RestrictNamespaces= items name, in systemd's namespace_info order (the order
 * `systemctl show` lists them in). The kernel's time namespace is not among them: hush only ever
 * denies it through `RestrictNamespaces=yes` (see the option in options.ts).
 */
export const NAMESPACES = ['cgroup', 'ipc', 'net', 'mnt', 'pid', 'user', 'uts'] as const;
export type Namespace = (typeof NAMESPACES)[number];
