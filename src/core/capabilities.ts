/**
 * Linux capability bounding set handling. Docker gives `--privileged` containers every capability it
 * knows; where the host's bounding set lacks one (CAP_SYS_RESOURCE in some sandboxed VMs), runc fails
 * with "unable to apply caps: operation not permitted". prodlike detects that here.
 */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Reads `CapBnd:` from a /proc/<pid>/status text. */
export function parseCapBnd(statusText: string): bigint | undefined {
  const match = /^CapBnd:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  return match ? BigInt(`0x${match[1]}`) : undefined;
}

/** Capabilities (of those Docker grants to privileged containers) missing from the bounding set. */
export function missingCapabilities(bounding: bigint): string[] {
  return CAPABILITY_NAMES.filter((_, bit) => ((bounding >> BigInt(bit)) & 1n) === 0n);
}
