import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { findMosquittoBinary } from '../../grader/broker/find-mosquitto.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { GraderClient } from '../../grader/checks/grader-client.ts'
import { connackCode } from '../../grader/mqtt/packet-guards.ts'
import { guardBrokers } from '../../grader/sandbox/guarded-listener.ts'
import { isEveryBrokerRequired } from '../support/brokers.ts'
import { describeProcess, processesUsing } from '../support/process-tree.ts'

/**
 * Under --sandbox uid, programs share the grader's loopback: Mosquitto's MQTT listener must be a Unix socket only the
 * grader can open, behind a front that admits the grader alone, however long the grader's temporary folders
 * make the socket's path (a path over 107 bytes cannot be bound; the grader once fell back to a plain loopback port
 * there, open to every program on the machine, and the hostile suite's crosstalk attacker got in).
 */
const isRoot = process.getuid?.() === 0
const canRun = isRoot && findMosquittoBinary() !== undefined
const longTmp = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-test-long-'))
afterAll(() => rmSync(longTmp, { recursive: true, force: true }))

/** The inodes of the TCP sockets listening on this machine (/proc/net/tcp, tcp6: state 0A). */
function listeningInodes(): Set<string> {
  const inodes = new Set<string>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields[3] === '0A') inodes.add(fields[9])
    }
  }
  return inodes
}

it.skipIf(!canRun && !isEveryBrokerRequired)(
  '--sandbox uid: Mosquitto listens on no TCP port of its own, and its front admits the grader alone, even from a long temporary path',
  async () => {
    expect(canRun, 'needs root and mosquitto').toBe(true)
    const folder = path.join(longTmp, 'a-temporary-folder-whose-name-is-long'.repeat(2))
    mkdirSync(folder)
    const savedTmp = process.env.TMPDIR
    process.env.TMPDIR = folder
    guardBrokers()
    try {
      await using broker = await mosquittoBackend.start({}, AbortSignal.timeout(15_000))
      const [pid] = processesUsing(folder)
        .filter((seen) => describeProcess(seen)?.split(' ')[1]?.endsWith('mosquitto'))
        .map((seen) => seen.pid)
      expect(pid, 'a Mosquitto runs with its config under the long folder').toBeDefined()
      expect(Buffer.byteLength(path.join(folder, 'mqtt-course-mosquitto-XXXXXX', 'mqtt.sock'))).toBeGreaterThan(107)

      // None of Mosquitto's descriptors is a listening TCP socket: its MQTT listener is the Unix socket.
      const listening = listeningInodes()
      const sockets = readdirSync(`/proc/${pid}/fd`).map(
        (fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1],
      )
      expect(sockets.filter((inode) => inode !== undefined && listening.has(inode))).toEqual([])

      // The grader's own client gets its CONNACK through the front.
      const grader = await GraderClient.open({ host: broker.host, port: broker.port }, AbortSignal.timeout(10_000))
      expect(connackCode(grader.connack!)).toBe(0)
      grader.destroy()

      // Another uid (a program's) is closed on before any byte: no CONNACK. Below the grade uids (grade-uid.ts): a
      // grader starting in another test kills what runs under a grade uid whose grader is gone, and once killed
      // this probe before it could print.
      const probe = [
        'import socket',
        `s = socket.create_connection(("127.0.0.1", ${broker.port}), timeout=5)`,
        's.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))',
        'try: print("answer", s.recv(4).hex() or "none")',
        'except OSError as error: print("answer none", error)',
      ].join('\n')
      const intruder = spawnSync(
        'setpriv',
        ['--reuid', '1799999997', '--regid', '1799999997', '--clear-groups', '/usr/bin/python3', '-c', probe],
        { encoding: 'utf8', timeout: 15_000 },
      )
      expect(intruder.stdout, `${intruder.stderr} (exit ${intruder.status}, signal ${intruder.signal})`).toMatch(
        /^answer none/,
      )
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = savedTmp
    }
  },
)
