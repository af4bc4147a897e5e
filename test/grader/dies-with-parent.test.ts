import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { diesWithParent, probeParentDeath } from '../../grader/process/dies-with-parent.ts'
import { ProcessGroup } from '../../grader/process/process-group.ts'

const processGroupModule = fileURLToPath(new URL('../../grader/process/process-group.ts', import.meta.url))
const hasSetpriv = await probeParentDeath()

/** A loopback server: `connected()` resolves with the next connection, `closed(socket)` when it ends. */
async function listen() {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const within = <T>(what: string, timeoutMs: number, wait: (resolve: (value: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs)
      wait((value) => {
        clearTimeout(timer)
        resolve(value)
      })
    })
  // Watched from the moment it is accepted: a close before anyone asks is not missed.
  const closes = new WeakMap<net.Socket, Promise<void>>()
  server.on('connection', (socket) => {
    socket.on('data', () => {})
    closes.set(socket, new Promise((resolve) => socket.once('close', () => resolve())))
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    connected: () => within<net.Socket>('no connection', 30_000, (resolve) => server.once('connection', resolve)),
    closed: (socket: net.Socket) =>
      within<void>('the connection did not close', 10_000, (resolve) => void closes.get(socket)!.then(resolve)),
    close: () => server.close(),
  }
}

describe.each([
  ['setpriv', hasSetpriv],
  ['watchdog', true],
] as const)('a ProcessGroup that dies with its parent (%s)', (mechanism, isAvailable) => {
  it.skipIf(!isAvailable)('dies when its parent is killed with SIGKILL', async () => {
    const server = await listen()
    // A parent that starts a program holding a connection to us, then waits: a grader with its Mosquitto.
    const program = `require('node:net').connect(${server.port}, '127.0.0.1'); setInterval(() => {}, 1000)`
    const parentScript = `import { ProcessGroup } from ${JSON.stringify(processGroupModule)}
new ProcessGroup({ command: process.execPath, args: ['-e', ${JSON.stringify(program)}], cwd: '/', env: process.env, diesWithParent: '${mechanism}' })
setInterval(() => {}, 1000)`
    const parent = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', parentScript],
      { stdio: 'ignore' },
    )
    const exited = new Promise((resolve) => parent.once('exit', resolve))
    try {
      const socket = await server.connected()
      parent.kill('SIGKILL')
      await exited
      // The connection ends when the program does (nothing else holds it).
      await server.closed(socket)
    } finally {
      parent.kill('SIGKILL')
      server.close()
    }
  })

  it.skipIf(!isAvailable)("passes on the program's exit code, signal and output", async () => {
    const exited = new ProcessGroup({
      command: '/bin/sh',
      args: ['-c', 'echo said >&2; exit 3'],
      cwd: '/',
      env: { PATH: process.env.PATH },
      diesWithParent: mechanism,
    })
    expect((await exited.exited).exitCode).toBe(3)
    expect(exited.stderr.text).toBe('said\n')
    const signalled = new ProcessGroup({
      command: '/bin/sh',
      args: ['-c', 'kill -TERM $$'],
      cwd: '/',
      env: { PATH: process.env.PATH },
      diesWithParent: mechanism,
    })
    expect((await signalled.exited).signal).toBe('SIGTERM')
  })
})

describe.skipIf(!hasSetpriv)('setpriv --pdeathsig', () => {
  it('runs nothing when the parent that asked is already gone (it died before the signal was set)', () => {
    const { command, args } = diesWithParent('/bin/sh', ['-c', 'echo ran'])
    expect(spawnSync(command, args, { encoding: 'utf8' }).stdout).toBe('ran\n')
    // Started by a shell instead of by this process: its parent is not the one named, as after the grader died.
    const orphan = spawnSync('/bin/sh', ['-c', '"$@"; exit $?', 'sh', command, ...args], { encoding: 'utf8' })
    expect(orphan.stdout).toBe('')
    expect(orphan.status).toBe(125)
  })
})
