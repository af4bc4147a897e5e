import type { BrokerSetup, Credentials } from './broker.ts'
import type { WebSocketListenerKind } from './student-config.ts'

export type { ConfIssue, StudentConfig, WebSocketListenerKind } from './student-config.ts'

/**
 * The one place that writes Mosquitto configuration. Both the local binary and the container read a config
 * directory written here; only the paths the broker sees differ (`brokerConfigDir`).
 */
export interface MosquittoConfOptions {
  /** The port Mosquitto listens on, as the broker sees it. */
  port: number
  /**
   * Where the MQTT listener is a Unix socket instead of `port` (the grader is root and programs share its
   * loopback: only the grader can open the socket, through its guarded front, guarded-listener.ts). Relative to
   * Mosquitto's working folder, which is the config folder.
   */
  unixSocket?: string | undefined
  /** The ports of the WebSocket listeners a student's config adds (StudentConfig.webSockets), as the broker sees them. */
  webSocketPorts?: Partial<Record<WebSocketListenerKind, number>>
  /** `127.0.0.1` for the local binary and host networking; undefined (every interface) inside a bridged container. */
  bindAddress: string | undefined
  /** Where the config directory is mounted for the broker (the same as the host path for the local binary). */
  brokerConfigDir: string
  setup: BrokerSetup
  /** The grader's own user, added to the password file and the ACL when the setup has users. */
  graderCredentials: Credentials | undefined
  /**
   * Mosquitto started as root drops privileges to the `mosquitto` user, which cannot read a private temp dir:
   * running as root (CI, containers) we ask it to stay who it is.
   */
  isRoot: boolean
}

export interface MosquittoConfFiles {
  'mosquitto.conf': string
  passwd?: string
  acl?: string
}
