/**
 * The seccomp filter every sandboxed program runs under (bubblewrap's --seccomp): a classic BPF program that
 * refuses what a course program never needs and what an escape would use — mounting, namespaces, tracing other
 * processes, file handles (open_by_handle_at), the kernel keyring, BPF, modules, the clock — and lets
 * everything else through.
 *
 * Why hand-assembled: libseccomp, the well-kept library for this, is C (its Python binding, python3-seccomp, is
 * not on every grading machine), and the filter is a flat deny list of ~60 instructions. The syscall numbers
 * below are checked against libseccomp's own table by test/grader/seccomp-filter.test.ts wherever python3-seccomp
 * is installed (CI installs it), and each refusal is tried for real inside the sandbox by the hostile suite.
 */

/** How the kernel describes the calling convention of a syscall (linux/audit.h). */
const auditArch = { x64: 0xc000003e, arm64: 0xc00000b7 } as const
export type SeccompArch = keyof typeof auditArch

/** Refused with EPERM: as if the program lacked the privilege (it does). */
const refused = [
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'unshare',
  'setns',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'open_by_handle_at',
  'name_to_handle_at',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'swapon',
  'swapoff',
  'reboot',
  'acct',
  'quotactl',
  'quotactl_fd',
  'lookup_dcookie',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'iopl',
  'ioperm',
  'syslog',
  'uselib',
  'kcmp',
  'pidfd_getfd',
  'settimeofday',
  'clock_settime',
  'adjtimex',
  'clock_adjtime',
  'vhangup',
  'nfsservctl',
  'fanotify_init',
] as const

/**
 * Refused with ENOSYS, as a kernel without them would: libc and libuv then fall back. clone3 passes its flags in
 * memory a filter cannot read (glibc falls back to clone, whose flags it can); io_uring is a large attack
 * surface that libuv only uses to go faster.
 */
const absent = ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const

type SyscallName = (typeof refused)[number] | (typeof absent)[number] | 'clone'

/** Syscall numbers from the kernel's tables (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h). */
export const syscallNumbers: Record<SeccompArch, Partial<Record<SyscallName, number>>> = {
  x64: {
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    chroot: 161,
    unshare: 272,
    setns: 308,
    clone: 56,
    clone3: 435,
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    open_by_handle_at: 304,
    name_to_handle_at: 303,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    bpf: 321,
    perf_event_open: 298,
    userfaultfd: 323,
    kexec_load: 246,
    kexec_file_load: 320,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    acct: 163,
    quotactl: 179,
    quotactl_fd: 443,
    lookup_dcookie: 212,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    move_mount: 429,
    open_tree: 428,
    mount_setattr: 442,
    iopl: 172,
    ioperm: 173,
    syslog: 103,
    uselib: 134,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    kcmp: 312,
    pidfd_getfd: 438,
    settimeofday: 164,
    clock_settime: 227,
    adjtimex: 159,
    clock_adjtime: 305,
    vhangup: 153,
    nfsservctl: 180,
    fanotify_init: 300,
  },
  arm64: {
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    chroot: 51,
    unshare: 97,
    setns: 268,
    clone: 220,
    clone3: 435,
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    open_by_handle_at: 265,
    name_to_handle_at: 264,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    bpf: 280,
    perf_event_open: 241,
    userfaultfd: 282,
    kexec_load: 104,
    kexec_file_load: 294,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    swapon: 224,
    swapoff: 225,
    reboot: 142,
    acct: 89,
    quotactl: 60,
    quotactl_fd: 443,
    lookup_dcookie: 18,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    move_mount: 429,
    open_tree: 428,
    mount_setattr: 442,
    syslog: 116,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    kcmp: 272,
    pidfd_getfd: 438,
    settimeofday: 170,
    clock_settime: 112,
    adjtimex: 171,
    clock_adjtime: 266,
    vhangup: 58,
    nfsservctl: 42,
    fanotify_init: 262,
  },
}

/** The names the filter refuses (EPERM) and the ones it says are absent (ENOSYS), for tests and the README. */
export const seccompPolicy = { refused, absent, cloneNamespaceFlags: 'clone with any CLONE_NEW* flag (EPERM)' } as const

/** CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const cloneNamespaceFlags = 0x7e020080
/** x32 syscalls are x86-64 numbers with this bit set: refused as a whole. */
const x32Bit = 0x40000000

const errnoEperm = 1
const errnoEnosys = 38
const SECCOMP_RET_ALLOW = 0x7fff0000
const SECCOMP_RET_ERRNO = 0x00050000

// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20
const JEQ_K = 0x15
const JGE_K = 0x35
const JSET_K = 0x45
const RET_K = 0x06

/** Offsets into struct seccomp_data: nr, arch, then args[0] (its low 32 bits on a little-endian machine). */
const offsetNr = 0
const offsetArch = 4
const offsetArg0Low = 16

type Instruction = { code: number; k: number; jt?: string; jf?: string } | { label: string }

/** The architecture this process runs on, as the filter names it; undefined where there is no filter for it. */
export function currentSeccompArch(): SeccompArch | undefined {
  if (process.platform !== 'linux') return undefined
  return process.arch === 'x64' ? 'x64' : process.arch === 'arm64' ? 'arm64' : undefined
}

/**
 * The filter as bytes, the layout bubblewrap reads from its --seccomp descriptor: struct sock_filter
 * { u16 code; u8 jt; u8 jf; u32 k } in the machine's byte order (little-endian on both architectures).
 */
export function seccompFilter(arch: SeccompArch): Buffer {
  const numbers = syscallNumbers[arch]
  const program: Instruction[] = [
    { code: LD_W_ABS, k: offsetArch },
    // Another calling convention (32-bit syscalls from a 64-bit process): nothing of it is allowed.
    { code: JEQ_K, k: auditArch[arch], jf: 'enosys' },
    { code: LD_W_ABS, k: offsetNr },
    ...(arch === 'x64' ? [{ code: JGE_K, k: x32Bit, jt: 'enosys' }] : []),
    ...refused.flatMap((name) =>
      numbers[name] === undefined ? [] : [{ code: JEQ_K, k: numbers[name]!, jt: 'eperm' }],
    ),
    ...absent.map((name) => ({ code: JEQ_K, k: numbers[name]!, jt: 'enosys' })),
    { code: JEQ_K, k: numbers.clone!, jt: 'clone' },
    { label: 'allow' },
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'clone' },
    { code: LD_W_ABS, k: offsetArg0Low },
    // BPF jumps only forward: the clone block ends in its own allow.
    { code: JSET_K, k: cloneNamespaceFlags, jt: 'eperm' },
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'eperm' },
    { code: RET_K, k: SECCOMP_RET_ERRNO | errnoEperm },
    { label: 'enosys' },
    { code: RET_K, k: SECCOMP_RET_ERRNO | errnoEnosys },
  ]
  return assemble(program)
}

/** Resolves labels to the relative jumps BPF needs (0–255 instructions ahead) and encodes the instructions. */
function assemble(program: Instruction[]): Buffer {
  const positions = new Map<string, number>()
  const instructions: Exclude<Instruction, { label: string }>[] = []
  for (const item of program) {
    if ('label' in item) positions.set(item.label, instructions.length)
    else instructions.push(item)
  }
  const buffer = Buffer.alloc(instructions.length * 8)
  instructions.forEach((instruction, index) => {
    const jump = (label: string | undefined) => {
      if (label === undefined) return 0
      const offset = positions.get(label)! - index - 1
      if (offset < 0 || offset > 255) throw new Error(`seccomp filter: jump to ${label} out of range (${offset})`)
      return offset
    }
    buffer.writeUInt16LE(instruction.code, index * 8)
    buffer.writeUInt8(jump(instruction.jt), index * 8 + 2)
    buffer.writeUInt8(jump(instruction.jf), index * 8 + 3)
    buffer.writeUInt32LE(instruction.k >>> 0, index * 8 + 4)
  })
  return buffer
}
