import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  currentSeccompArch,
  seccompFilter,
  seccompPolicy,
  syscallNumbers,
} from '../../grader/sandbox/seccomp-filter.ts'

/**
 * The seccomp filter is assembled by hand (seccomp-filter.ts says why): its syscall numbers are checked against
 * libseccomp's own tables, and what it refuses is tried for real, in a process under it, next to what a course
 * program needs (fork, exec, files, sockets), which must keep working.
 */
const python = '/usr/bin/python3'
const hasLibseccomp = spawnSync(python, ['-c', 'import seccomp'], { stdio: 'ignore' }).status === 0
const hasBubblewrap =
  spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-user', '--proc', '/proc', '--dev', '/dev', 'true']).status === 0
const isRequired = process.env.CI === 'true'
const folder = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-seccomp-test-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('the seccomp filter', () => {
  it.skipIf(!hasLibseccomp && !isRequired)(
    `names the syscalls by the numbers libseccomp knows, on x86-64 and arm64${hasLibseccomp ? '' : ' (skipped: no python3-seccomp)'}`,
    () => {
      const names = [...new Set([...seccompPolicy.refused, ...seccompPolicy.absent, 'clone'])]
      const script = `import json, seccomp, sys\nnames = json.loads(sys.argv[1])\nout = {}\nfor arch, key in [(seccomp.Arch.X86_64, 'x64'), (seccomp.Arch.AARCH64, 'arm64')]:\n  out[key] = {n: seccomp.resolve_syscall(arch, n) for n in names}\nprint(json.dumps(out))`
      const result = spawnSync(python, ['-c', script, JSON.stringify(names)], { encoding: 'utf8' })
      expect(result.status, result.stderr).toBe(0)
      const libseccomp = JSON.parse(result.stdout) as Record<'x64' | 'arm64', Record<string, number>>
      for (const arch of ['x64', 'arm64'] as const) {
        // Negative numbers: the syscall does not exist on that architecture (iopl on arm64).
        const expected = Object.fromEntries(Object.entries(libseccomp[arch]).filter(([, number]) => number >= 0))
        expect({ arch, numbers: syscallNumbers[arch] }).toEqual({ arch, numbers: expected })
      }
    },
  )

  it.skipIf(!hasBubblewrap && !isRequired)(
    'refuses mount, namespaces, tracing, file handles, keys, BPF and io_uring, and lets a program fork, exec, read, write and connect',
    () => {
      const arch = currentSeccompArch()
      expect(arch, 'a filter for this machine').toBeDefined()
      const filter = path.join(folder, 'filter.bpf')
      writeFileSync(filter, seccompFilter(arch!))
      const probe = `
import ctypes, errno, os, socket, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def call(name, fn):
  ctypes.set_errno(0); result = fn(); print(name, 'ok' if result >= 0 else errno.errorcode.get(ctypes.get_errno()))
nr = {'x64': {'clone3': 435, 'io_uring_setup': 425, 'clone': 56, 'bpf': 321, 'keyctl': 250}, 'arm64': {'clone3': 435, 'io_uring_setup': 425, 'clone': 220, 'bpf': 280, 'keyctl': 219}}['${arch}']
call('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))
call('unshare-user', lambda: libc.unshare(0x10000000))
call('unshare-net', lambda: libc.unshare(0x40000000))
call('setns', lambda: libc.setns(0, 0))
call('ptrace', lambda: libc.ptrace(16, os.getppid(), None, None))
call('open_by_handle_at', lambda: libc.open_by_handle_at(-100, None, 0))
call('keyctl', lambda: libc.syscall(nr['keyctl'], 0, 0, 0, 0, 0))
call('bpf', lambda: libc.syscall(nr['bpf'], 0, 0, 0))
call('clone-newpid', lambda: libc.syscall(nr['clone'], 0x20000000 | 17, 0, 0, 0, 0))
call('clone3', lambda: libc.syscall(nr['clone3'], 0, 0))
call('io_uring_setup', lambda: libc.syscall(nr['io_uring_setup'], 1, 0))
pid = os.fork()
if pid == 0: os._exit(0)
print('fork', 'ok' if os.waitpid(pid, 0)[1] == 0 else 'failed')
print('exec', 'ok' if subprocess.run(['/bin/true']).returncode == 0 else 'failed')
with open('/tmp/seccomp-probe', 'w') as handle: handle.write('x')
print('write', 'ok')
server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen(); client = socket.create_connection(server.getsockname()); print('connect', 'ok')
`
      // The filter reaches bwrap on a descriptor, as the grader passes it (on 6) to every program.
      const withFilter = spawnSync(
        '/bin/sh',
        [
          '-c',
          `exec 3<"$0"; exec bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-user --unshare-pid --unshare-net --seccomp 3 -- ${python} -c "$1"`,
          filter,
          probe,
        ],
        { encoding: 'utf8' },
      )
      expect(withFilter.status, withFilter.stderr).toBe(0)
      const outcome = Object.fromEntries(
        withFilter.stdout
          .trim()
          .split('\n')
          .map((line) => line.split(' ')),
      )
      expect(outcome).toEqual({
        mount: 'EPERM',
        'unshare-user': 'EPERM',
        'unshare-net': 'EPERM',
        setns: 'EPERM',
        ptrace: 'EPERM',
        open_by_handle_at: 'EPERM',
        keyctl: 'EPERM',
        bpf: 'EPERM',
        'clone-newpid': 'EPERM',
        clone3: 'ENOSYS',
        io_uring_setup: 'ENOSYS',
        fork: 'ok',
        exec: 'ok',
        write: 'ok',
        connect: 'ok',
      })
    },
  )
})
