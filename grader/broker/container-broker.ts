import { randomUUID } from 'node:crypto'
import net from 'node:net'
import type { Broker, BrokerBackend, BrokerSetup, Capability } from './broker.ts'
import { GraderError, describeError } from '../errors/grader-error.ts'
import { onInterrupt } from '../process/exit-cleanup.ts'
import { containerMarkerPrefix } from '../process/leftover-sweep.ts'
import { removeTree } from '../process/remove-tree.ts'
import { createOwnedFolder } from '../process/temporary-folder.ts'
import { deadlineSignal, raceSignal } from '../time/deadline.ts'
import { findFreePort } from './free-port.ts'
import { makeGraderCredentials, renderConf, studentConfigFailure, tlsListenerFailure } from './mosquitto-broker.ts'
import { StudentConfigError, writeConfigDir } from './mosquitto-conf.ts'
import { MosquittoExitedError, MosquittoRunningWait } from './mosquitto-running-wait.ts'
import { connackCode } from '../mqtt/packet-guards.ts'
import { courseLabel, ownerLabels, sweepOrphanedContainers } from './orphaned-containers.ts'
import { probeBroker } from './probe-broker.ts'
import { type WebSocketUrls, findWebSocketPorts, probeWebSocketListeners } from './websocket-listeners.ts'

const offered: ReadonlySet<Capability> = new Set(['mqtt5', 'auth', 'acl', 'tls', 'mosquitto-conf', 'websockets'])

/** The image the container backend runs unless MQTT_COURSE_MOSQUITTO_IMAGE names another. */
export const defaultMosquittoImage = 'eclipse-mosquitto:2.0.22'
const configDirInContainer = '/mosquitto/config'
const containerPort = 1883
/** Where the WebSocket listeners of a student's config listen inside a bridged container. */
const containerWebSocketPorts = { ws: 8080, wss: 8443 } as const
const startupTimeoutMs = 30_000

export const noDockerHint =
  'start Docker (Docker Desktop, colima or dockerd), or use --broker auto: it picks a broker that can run the exercise'

/**
 * Mosquitto in a container started by Testcontainers, with the same generated config copied in.
 * MQTT_COURSE_DOCKER_NETWORK=host runs it on the host's network (Linux CI: all traffic stays on loopback);
 * otherwise port 1883 is published on a random host port.
 */
export const containerBackend: BrokerBackend = {
  kind: 'container',
  capabilities: offered,
  async checkAvailable() {
    try {
      await raceSignal(connectToDocker(), AbortSignal.timeout(10_000))
      return { isAvailable: true }
    } catch {
      return {
        isAvailable: false,
        reason: process.env.DOCKER_HOST
          ? `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer`
          : 'no Docker engine is answering',
        fix: process.env.DOCKER_HOST
          ? 'start the Docker engine DOCKER_HOST names, or unset DOCKER_HOST'
          : 'start Docker (Docker Desktop, colima or dockerd)',
      }
    }
  },
  async start(setup: BrokerSetup, signal: AbortSignal): Promise<Broker> {
    try {
      await raceSignal(connectToDocker(), deadlineSignal(10_000, signal))
    } catch (error) {
      throw new GraderError(
        'DOCKER_UNAVAILABLE',
        `--broker container needs Docker, and no Docker engine is answering (${describeError(error).split('\n')[0]})`,
        {
          hint: noDockerHint,
          cause: error,
        },
      )
    }
    // Docker answers, so now is when containers that killed graders left behind can go: in the background, and
    // the grader's exit waits for it as for its own containers.
    const swept = sweepOrphanedContainers()
    const forget = onInterrupt(async () => void (await swept))
    void swept.finally(forget)
    return startContainer(setup, signal)
  },
}

async function connectToDocker(): Promise<void> {
  // Testcontainers tries other engines when DOCKER_HOST does not answer; one the user named must answer itself.
  const dockerHost = process.env.DOCKER_HOST
  if (dockerHost) await expectAnswer(dockerHost)
  const { getContainerRuntimeClient } = await import('testcontainers')
  await getContainerRuntimeClient()
}

/** Connects to DOCKER_HOST (unix:// or tcp://) once, or throws saying it does not answer. */
async function expectAnswer(dockerHost: string): Promise<void> {
  const url = new URL(dockerHost)
  const target =
    url.protocol === 'unix:'
      ? { path: url.pathname }
      : url.protocol === 'tcp:'
        ? { host: url.hostname, port: Number(url.port || 2375) }
        : undefined
  if (!target) return
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(target, () => {
      socket.destroy()
      resolve()
    })
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')))
    socket.once('error', (error) =>
      reject(
        new Error(
          `DOCKER_HOST=${dockerHost} does not answer (${describeError(error)}); the grader does not fall back to another Docker engine`,
        ),
      ),
    )
  })
}

export function mosquittoImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.MQTT_COURSE_MOSQUITTO_IMAGE || defaultMosquittoImage
}

/** Removes every container of this grader's runs that is still there (by the label only our code sets). */
async function removeLabelled(label: string): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers')
  const { dockerode } = (await getContainerRuntimeClient()).container
  const found = await dockerode.listContainers({ all: true, filters: { label: [`${courseLabel}.run=${label}`] } })
  await Promise.all(
    found.map((info) =>
      dockerode
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  )
}

async function startContainer(setup: BrokerSetup, signal: AbortSignal): Promise<Broker> {
  const { GenericContainer } = await import('testcontainers')
  const runLabel = `${process.pid}-${randomUUID()}`
  const image = mosquittoImage()
  const isHostNetwork = process.env.MQTT_COURSE_DOCKER_NETWORK === 'host'
  const listenPort = isHostNetwork ? await findFreePort() : containerPort
  const webSocketKinds = setup.studentConfig?.webSockets ?? []
  const webSocketPorts = isHostNetwork
    ? await findWebSocketPorts(webSocketKinds)
    : Object.fromEntries(webSocketKinds.map((kind) => [kind, containerWebSocketPorts[kind]]))
  const graderCredentials = makeGraderCredentials(setup)
  await using configDir = await writeConfigDir(() =>
    renderConf(setup, {
      port: listenPort,
      webSocketPorts,
      bindAddress: isHostNetwork ? '127.0.0.1' : undefined,
      brokerConfigDir: configDirInContainer,
      graderCredentials,
      isRoot: true,
    }),
  )
  let container = new GenericContainer(image)
    .withCommand(['/usr/sbin/mosquitto', '-c', `${configDirInContainer}/mosquitto.conf`])
    .withCopyDirectoriesToContainer([{ source: configDir.path, target: configDirInContainer }])
    .withLabels({ [courseLabel]: 'broker', 'org.mqtt-course.run': runLabel, ...ownerLabels() })
    .withWaitStrategy(new MosquittoRunningWait())
    .withStartupTimeout(startupTimeoutMs)
  container = isHostNetwork
    ? container.withNetworkMode('host')
    : container.withExposedPorts(containerPort, ...Object.values(webSocketPorts))
  // From before the container exists until it is removed, and only then (not at exit: a process that exits
  // without removing its container leaves the marker too): the next grader to start finds the markers of
  // graders that are gone (their names say whose they are) and removes those graders' containers.
  const marker = createOwnedFolder(containerMarkerPrefix)
  const removeMarker = () => {
    try {
      removeTree(marker)
    } catch {
      // Left for the next start's sweep.
    }
  }
  // Interrupted while the container is being created or started, there is no handle to stop yet: remove what
  // carries this run's label instead, once Docker has answered the start (a container created after a removal
  // that ran too early would be left behind).
  const starting = container.start()
  const forgetStarting = onInterrupt(async () => {
    await starting.catch(() => {})
    await removeLabelled(runLabel).then(removeMarker)
  })
  let started
  try {
    started = await raceSignal(starting, signal)
  } catch (error) {
    forgetStarting()
    // The deadline may have ended the wait while Docker was still creating it: let that finish, then remove it.
    await starting.catch(() => {})
    await removeLabelled(runLabel).then(removeMarker, () => {})
    if (setup.studentConfig && error instanceof MosquittoExitedError)
      throw studentConfigFailure(error, error.log, setup.studentConfig.conf)
    throw new GraderError(
      'BROKER_START_FAILED',
      `the Mosquitto container (${image}) did not start: ${describeError(error).split('\n')[0]}`,
      {
        hint: `check that the image exists (docker image ls ${image.split(':')[0]}) or set MQTT_COURSE_MOSQUITTO_IMAGE; or use --broker auto: it picks a broker that can run the exercise`,
        cause: error,
      },
    )
  }
  const logLines: string[] = []
  const logStream = await started.logs()
  logStream.on('data', (line: Buffer | string) => logLines.push(String(line).trimEnd()))
  forgetStarting()
  const forgetInterrupt = onInterrupt(async () => {
    await started.stop({ remove: true })
    removeMarker()
  })
  let isStopped = false
  const stop = async () => {
    if (isStopped) return
    isStopped = true
    forgetInterrupt()
    logStream.destroy()
    await started.stop()
    removeMarker()
  }
  const host = isHostNetwork ? '127.0.0.1' : started.getHost()
  const port = isHostNetwork ? listenPort : started.getMappedPort(containerPort)
  const hostWebSocketPorts = isHostNetwork
    ? webSocketPorts
    : Object.fromEntries(Object.entries(webSocketPorts).map(([kind, inside]) => [kind, started.getMappedPort(inside)]))
  let webSocketUrls: WebSocketUrls = {}
  try {
    const connack = await probeBroker({
      host,
      port,
      credentials: graderCredentials,
      tlsCa: setup.tlsCa,
      signal: deadlineSignal(10_000, signal),
    }).catch((error: unknown) => {
      throw setup.studentConfig && setup.tlsCa ? tlsListenerFailure(error) : error
    })
    if (connackCode(connack) !== 0 && !setup.studentConfig)
      throw new Error(`Mosquitto refused the grader's own CONNECT (code ${connackCode(connack)})`)
    webSocketUrls = await probeWebSocketListeners({
      host,
      ports: hostWebSocketPorts,
      credentials: graderCredentials,
      tlsCa: setup.webSocketCa,
      signal: deadlineSignal(10_000, signal),
    })
  } catch (error) {
    await stop()
    if (error instanceof StudentConfigError) throw error
    throw new GraderError(
      'BROKER_START_FAILED',
      `the Mosquitto container started but does not answer MQTT: ${describeError(error)}`,
      { cause: error },
    )
  }
  const version = /mosquitto version (\S+)/.exec(logLines.join('\n'))?.[1] ?? '?'
  return {
    kind: 'container',
    label: `mosquitto ${version} (container ${image})`,
    host,
    port,
    url: `${setup.tlsCa ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    tlsCa: setup.tlsCa,
    ...(setup.studentConfig?.webSockets ? { webSocketUrls } : {}),
    capabilities: offered,
    graderCredentials,
    logTail: () => logLines.slice(-20).join('\n'),
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
