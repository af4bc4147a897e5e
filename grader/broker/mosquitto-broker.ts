import net from 'node:net'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { GuardedListener, areBrokersGuarded } from '../sandbox/guarded-listener.ts'
import type { Broker, BrokerBackend, BrokerSetup, Capability, Credentials } from './broker.ts'
import { GraderError, describeError } from '../errors/grader-error.ts'
import { probeParentDeath } from '../process/dies-with-parent.ts'
import { ProcessGroup } from '../process/process-group.ts'
import { deadlineSignal, raceSignal } from '../time/deadline.ts'
import { findFreePort, isPortTaken } from './free-port.ts'
import { findMosquittoBinary, installMosquittoHint } from './find-mosquitto.ts'
import {
  type MosquittoConfOptions,
  type WebSocketListenerKind,
  StudentConfigError,
  renderMosquittoConf,
  renderStudentConf,
  writeConfigDir,
} from './mosquitto-conf.ts'
import { connackCode } from '../mqtt/packet-guards.ts'
import { probeBroker } from './probe-broker.ts'
import { findWebSocketPorts, probeWebSocketListeners } from './websocket-listeners.ts'

const offered: ReadonlySet<Capability> = new Set(['mqtt5', 'auth', 'acl', 'tls', 'mosquitto-conf', 'websockets'])
const startupTimeoutMs = 10_000

/** The local `mosquitto` binary on a free loopback port, with a config directory written for the run. */
export const mosquittoBackend: BrokerBackend = {
  kind: 'mosquitto',
  capabilities: offered,
  async checkAvailable() {
    if (findMosquittoBinary()) return { isAvailable: true }
    return { isAvailable: false, reason: 'the mosquitto binary is not installed', fix: installMosquittoHint }
  },
  async start(setup: BrokerSetup, signal: AbortSignal): Promise<Broker> {
    const binary = findMosquittoBinary()
    if (!binary) {
      throw new GraderError(
        'MOSQUITTO_NOT_INSTALLED',
        '--broker mosquitto needs the mosquitto binary, and it is not installed',
        {
          hint: `${installMosquittoHint}; or use --broker auto: it picks a broker that can run the exercise`,
        },
      )
    }
    return startMosquittoRetrying(binary, setup, signal)
  },
}

/**
 * Another process can take a free port before Mosquitto binds it: one retry, on new ports, covers that race.
 * `firstWebSocketPorts` replaces the first try's WebSocket ports (a test losing the race on purpose).
 */
export async function startMosquittoRetrying(
  binary: string,
  setup: BrokerSetup,
  signal: AbortSignal,
  firstWebSocketPorts?: Partial<Record<WebSocketListenerKind, number>>,
): Promise<Broker> {
  try {
    return await startMosquitto(binary, setup, signal, firstWebSocketPorts)
  } catch (error) {
    if (error instanceof AddressInUse) return startMosquitto(binary, setup, signal)
    throw error
  }
}

class AddressInUse extends Error {}

/** Credentials for the grader's own clients when the setup turns anonymous access off. */
export function makeGraderCredentials(setup: BrokerSetup): Credentials | undefined {
  const hasStudentPasswords = /^\s*password_file\s/m.test(setup.studentConfig?.conf ?? '')
  if (!setup.users?.length && !hasStudentPasswords) return undefined
  return { username: 'mqtt-course-grader', password: randomBytes(12).toString('base64url') }
}

async function startMosquitto(
  binary: string,
  setup: BrokerSetup,
  signal: AbortSignal,
  presetWebSocketPorts?: Partial<Record<WebSocketListenerKind, number>>,
): Promise<Broker> {
  // Where programs share the grader's loopback (--sandbox uid), Mosquitto's MQTT listener is a Unix socket in the
  // grader's private folder, reached through a front that admits the grader alone (guarded-listener.ts): no
  // program can talk to the broker behind the tap's back. Mosquitto binds it as `mqtt.sock`, relative to its working
  // folder (the config folder): a socket's path may not exceed 107 bytes, and the grader's temporary folders
  // (TMPDIR, owner-named folders) can make the full path longer. The front reaches it by the full path when that
  // fits, else through Mosquitto's own working folder, /proc/<pid>/cwd.
  const isGuarded = areBrokersGuarded()
  const port = await findFreePort()
  const webSocketPorts = presetWebSocketPorts ?? (await findWebSocketPorts(setup.studentConfig?.webSockets))
  const graderCredentials = makeGraderCredentials(setup)
  const unixSocket = isGuarded ? 'mqtt.sock' : undefined
  const probed = probeParentDeath()
  const configDir = await writeConfigDir((dir) =>
    renderConf(setup, {
      port,
      unixSocket,
      webSocketPorts,
      bindAddress: '127.0.0.1',
      brokerConfigDir: dir,
      graderCredentials,
      isRoot: process.getuid?.() === 0,
    }),
  )
  await probed
  const conf = `${configDir.path}/mosquitto.conf`
  // It dies with the grader, even with one killed by SIGKILL (issue 19); `user root` in the config (a root
  // grader) keeps Mosquitto from changing its uid, which would clear the parent-death signal.
  const group = new ProcessGroup({
    command: binary,
    args: ['-c', conf],
    cwd: configDir.path,
    env: process.env,
    diesWithParent: 'auto',
  })
  const socketPath =
    unixSocket &&
    (Buffer.byteLength(path.join(configDir.path, unixSocket)) <= 100
      ? path.join(configDir.path, unixSocket)
      : `/proc/${group.pid}/cwd/${unixSocket}`)
  const front = socketPath ? await frontFor(socketPath) : undefined
  const stop = async () => {
    await front?.close()
    await group.kill()
    await configDir[Symbol.asyncDispose]()
  }
  try {
    const startup = deadlineSignal(startupTimeoutMs, signal, 'Mosquitto startup')
    const version = await raceSignal(waitForRunning(group), startup)
    const host = '127.0.0.1'
    const connack = await probeBroker({
      host,
      port: front?.port ?? port,
      credentials: graderCredentials,
      tlsCa: setup.tlsCa,
      signal: startup,
    }).catch((error: unknown) => {
      throw setup.studentConfig && setup.tlsCa ? tlsListenerFailure(error) : error
    })
    if (connackCode(connack) !== 0 && !setup.studentConfig)
      throw new Error(`Mosquitto refused the grader's own CONNECT (code ${connackCode(connack)})`)
    const webSocketUrls = await probeWebSocketListeners({
      host,
      ports: webSocketPorts,
      credentials: graderCredentials,
      tlsCa: setup.webSocketCa,
      signal: startup,
    })
    let isStopped = false
    const stopOnce = async () => {
      if (isStopped) return
      isStopped = true
      await stop()
    }
    return {
      kind: 'mosquitto',
      label: `mosquitto ${version} (local binary)`,
      host,
      port: front?.port ?? port,
      url: `${setup.tlsCa ? 'mqtts' : 'mqtt'}://${host}:${front?.port ?? port}`,
      tlsCa: setup.tlsCa,
      ...(setup.studentConfig?.webSockets ? { webSocketUrls } : {}),
      capabilities: offered,
      graderCredentials,
      logTail: () => group.stderr.tail(20),
      stop: stopOnce,
      [Symbol.asyncDispose]: stopOnce,
    }
  } catch (error) {
    await stop()
    if (error instanceof AddressInUse) throw error
    // A WebSocket listener that could not bind says only this; when another process holds its port, it lost
    // the race for the free port (not the student's mistake), and the start is tried again on new ports.
    const webSocketPort = /Unable to create websockets listener on port (\d+)/.exec(group.stderr.text)?.[1]
    if (webSocketPort && (await isPortTaken(Number(webSocketPort), undefined)))
      throw new AddressInUse(`port ${webSocketPort} in use`)
    if (setup.studentConfig)
      throw studentConfigFailure(
        error,
        group.stderr.tail(10).replaceAll(conf, 'mosquitto.conf'),
        setup.studentConfig.conf,
      )
    throw new GraderError('BROKER_START_FAILED', `Mosquitto did not start: ${describeError(error)}`, {
      hint: `its log said:\n${group.stderr.tail(10) || '(nothing)'}`,
      cause: error,
    })
  }
}

/** A loopback front for a Unix-socket listener: each connection the guard admits is piped to the socket. */
function frontFor(unixSocket: string): Promise<GuardedListener> {
  return GuardedListener.listen((socket) => {
    const upstream = net.connect({ path: unixSocket })
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
    upstream.on('close', () => socket.destroy())
    socket.pipe(upstream).pipe(socket)
  })
}

/** Resolves with Mosquitto's version once it logs "running" (after its listeners are open). */
function waitForRunning(group: ProcessGroup): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const log = group.stderr.text
      const running = /mosquitto version (\S+) running/.exec(log)
      if (running) {
        stopListening()
        resolve(running[1])
      } else if (/Address already in use/i.test(log)) {
        stopListening()
        reject(new AddressInUse('address in use'))
      }
    }
    const stopListening = group.stderr.subscribe(check)
    check()
    void group.exited.then((exit) => {
      stopListening()
      reject(
        new Error(exit.spawnError ? exit.spawnError.message : `it exited with code ${exit.exitCode ?? exit.signal}`),
      )
    })
  })
}

/** The grader's own config, or the student's rewritten one: both come from mosquitto-conf.ts. */
export function renderConf(setup: BrokerSetup, options: Omit<MosquittoConfOptions, 'setup'>) {
  return setup.studentConfig
    ? renderStudentConf(setup.studentConfig, options)
    : renderMosquittoConf({ ...options, setup })
}

/** Mosquitto would not run the student's config: their mistake, reported with what Mosquitto said. */
export function studentConfigFailure(error: unknown, log: string, conf?: string): StudentConfigError {
  if (error instanceof StudentConfigError) return error
  // Mosquitto prefixes lines with a timestamp until it has read log_timestamp: noise for a student.
  const cleanLog = log.replace(/^\d+: /gm, '').replace(/\/mosquitto\/config\/mosquitto\.conf/g, 'mosquitto.conf')
  // The same words whichever backend ran it (an exit code, a container's log stream): the log says the rest.
  const misplaced = conf === undefined ? undefined : misplacedTlsFiles(conf)
  const message = misplaced
    ? `Mosquitto did not start with your mosquitto.conf: ${misplaced}`
    : cleanLog.trim()
      ? 'Mosquitto did not start with your mosquitto.conf: it stopped at once'
      : `Mosquitto did not start with your mosquitto.conf: ${describeError(error)}`
  return new StudentConfigError(message, [], {
    ...(cleanLog.trim() ? { received: `Mosquitto said:\n${cleanLog.trim()}` } : {}),
    ...(misplaced
      ? {
          hint: 'cafile is the CA that signed the certificate (ca.crt), certfile the certificate the listener presents (server.crt), keyfile its private key (server.key).',
        }
      : {}),
  })
}

/** The TLS file each option must name, and what it is: Mosquitto's own complaint ("Check keyfile") rarely says which. */
const tlsFiles = {
  cafile: ['ca.crt', 'the CA'],
  certfile: ['server.crt', "the listener's certificate"],
  keyfile: ['server.key', "the certificate's private key"],
} as const

/** "cafile names server.crt, which is the listener's certificate; certfile names ca.crt, which is the CA", or undefined. */
function misplacedTlsFiles(conf: string): string | undefined {
  const wrong: string[] = []
  for (const [option, [file]] of Object.entries(tlsFiles)) {
    const named = new RegExp(`^\\s*${option}\\s+(\\S+)`, 'm').exec(conf)?.[1]
    if (!named || path.basename(named) === file) continue
    const actually = Object.values(tlsFiles).find(([other]) => other === path.basename(named))
    wrong.push(
      `${option} names ${path.basename(named)}${actually ? `, which is ${actually[1]}` : ''}, but ${option} must name ${file}`,
    )
  }
  return wrong.length > 0 ? `${wrong.join('; ')}.` : undefined
}

/** Mosquitto runs, but a TLS client gets nowhere: the student's listener is not (properly) a TLS listener. */
export function tlsListenerFailure(error: unknown): StudentConfigError {
  return new StudentConfigError(
    "Mosquitto is running, but a TLS client that trusts the course CA cannot connect to your listener: it does not speak TLS with the course's certificate.",
    [],
    {
      received: `the TLS client got: ${describeError(error)}`,
      hint: 'Under the listener: cafile ca.crt, certfile server.crt, keyfile server.key (and no require_certificate). By hand: mosquitto_sub --cafile ca.crt -h localhost -p 8883 -t "#" -d',
    },
  )
}
