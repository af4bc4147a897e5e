import type { StudentConfig, WebSocketUrls } from './student-config.ts'

/**
 * One interface for every broker the grader can run an exercise against. An exercise says what it needs
 * (capabilities); a backend says what it offers; `auto` picks the fastest backend that offers everything.
 */

export type BrokerKind = 'embedded' | 'mosquitto' | 'container' | 'url'

/**
 * What a check may need from a broker beyond plain MQTT 3.1.1:
 * - `mqtt5`: accepts MQTT 5 clients (aedes 1.x does not).
 * - `auth`: enforces a password file (users the exercise defines, anonymous refused).
 * - `acl`: enforces a Mosquitto acl_file.
 * - `tls`: serves a TLS listener with certificates the grader made.
 * - `mosquitto-conf`: runs a mosquitto.conf the student wrote.
 * - `websockets`: serves the WebSocket listeners of that config (they are TCP ports of the broker's own, which a
 *   batch without namespaces grades with no other student's program running: see worker-pool.ts).
 */
export const capabilities = ['mqtt5', 'auth', 'acl', 'tls', 'mosquitto-conf', 'websockets'] as const

export type Capability = (typeof capabilities)[number]

/** What an exercise asks of the broker for one run. Empty means: anonymous MQTT on one loopback port. */
export interface BrokerSetup {
  /** Users written to the password file; when set, anonymous clients are refused unless `allowAnonymous`. */
  users?: readonly Credentials[]
  /** The text of a Mosquitto acl_file. */
  acl?: string
  allowAnonymous?: boolean
  /** A mosquitto.conf the student wrote, run instead of the grader's own (with its files). */
  studentConfig?: StudentConfig
  /** The CA (PEM) behind the listener's certificate when the listener speaks TLS: probes and grader clients trust it. */
  tlsCa?: string
  /** The CA (PEM) behind the certificate of a wss:// listener the student's config adds (StudentConfig.webSockets). */
  webSocketCa?: string
}

export interface Credentials {
  username: string
  password: string
}

/** A running broker. Stopping it is idempotent; `await using` stops it on every exit path. */
export interface Broker extends AsyncDisposable {
  readonly kind: BrokerKind
  /** For reports: "embedded (aedes 1.2.0)", "mosquitto 2.0.11 (local binary)". */
  readonly label: string
  readonly host: string
  readonly port: number
  readonly url: string
  /** Set when the listener speaks TLS: the CA (PEM) that signed its certificate. */
  readonly tlsCa?: string | undefined
  /** The WebSocket listeners of a student's config that asks for them (StudentConfig.webSockets), by kind. */
  readonly webSocketUrls?: WebSocketUrls
  readonly capabilities: ReadonlySet<Capability>
  /** Credentials for the grader's own clients, which may read and write every topic; undefined when anonymous works. */
  readonly graderCredentials: Credentials | undefined
  /** The end of the broker's own log, for error messages. */
  logTail(): string
  stop(): Promise<void>
}

export type Availability = { isAvailable: true } | { isAvailable: false; reason: string; fix: string }

export interface BrokerBackend {
  readonly kind: BrokerKind
  readonly capabilities: ReadonlySet<Capability>
  /** Cheap, side-effect-free probe used by `--broker auto`. */
  checkAvailable(): Promise<Availability>
  start(setup: BrokerSetup, signal: AbortSignal): Promise<Broker>
}

export function missingCapabilities(required: Iterable<Capability>, offered: ReadonlySet<Capability>): Capability[] {
  return [...new Set(required)].filter((capability) => !offered.has(capability))
}

export function describeCapability(capability: Capability): string {
  switch (capability) {
    case 'mqtt5':
      return 'MQTT 5'
    case 'auth':
      return 'a password file'
    case 'acl':
      return 'an ACL file'
    case 'tls':
      return 'a TLS listener'
    case 'mosquitto-conf':
      return 'your mosquitto.conf'
    case 'websockets':
      return 'WebSocket listeners'
  }
}
