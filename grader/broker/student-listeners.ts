import type { MosquittoConfOptions } from './mosquitto-conf-types.ts'
import type { ConfIssue, StudentConfig, WebSocketListenerKind } from './student-config.ts'

/**
 * The listeners of a student's mosquitto.conf that adds WebSocket listeners (ex11): what each listener block
 * serves, and the grader's port for each. A config without WebSocket listeners keeps its one listener, handled
 * in mosquitto-conf.ts.
 */

/** What one `listener` block of a config serves, from its `protocol` and `certfile` lines. */
type ListenerKind = 'mqtt' | 'mqtts' | WebSocketListenerKind

/** The kind of each listener (or `port`) line of a config, by line number (1-based). */
export function describeListeners(conf: string): Map<number, ListenerKind> {
  const kinds = new Map<number, ListenerKind>()
  let current: { line: number; isWebSockets: boolean; isTls: boolean } | undefined
  const close = () => {
    if (current)
      kinds.set(current.line, current.isWebSockets ? (current.isTls ? 'wss' : 'ws') : current.isTls ? 'mqtts' : 'mqtt')
  }
  for (const [index, raw] of conf.split(/\r?\n/).entries()) {
    const [option, value] = raw.trim().split(/\s+/)
    if (option === 'listener' || option === 'port') {
      close()
      current = { line: index + 1, isWebSockets: false, isTls: false }
    } else if (current && option === 'protocol') current.isWebSockets = value === 'websockets'
    else if (current && option === 'certfile') current.isTls = true
  }
  close()
  return kinds
}

const listenerNames: Record<ListenerKind, string> = {
  mqtt: 'an MQTT listener',
  mqtts: 'an MQTT listener with TLS',
  ws: 'a WebSockets listener',
  wss: 'a WebSockets listener with TLS',
}

const howToAdd: Record<ListenerKind, string> = {
  mqtt: 'add one, like "listener 1883": Mosquitto 2.0.11 does not start with WebSockets listeners alone, and the grader\'s own client speaks plain MQTT to it',
  mqtts: '',
  ws: 'add one: "listener 8080", and under it "protocol websockets"',
  wss: 'add one: "listener 8443", and under it "protocol websockets", "cafile ca.crt", "certfile server.crt", "keyfile server.key"',
}

function withoutArticle(kind: ListenerKind): string {
  return listenerNames[kind].replace(/^an? /, '')
}

/**
 * For a config with WebSocket listeners: every listener line is one of the kinds asked for, each kind once.
 * Returns the port each listener line moves to, or adds the problems to `issues`.
 */
export function assignListenerPorts(
  student: StudentConfig,
  options: Omit<MosquittoConfOptions, 'setup'>,
  issues: ConfIssue[],
): Map<number, number> {
  const lines = student.conf.split(/\r?\n/)
  const wanted: ListenerKind[] = ['mqtt', ...(student.webSockets ?? [])]
  const seen = new Set<ListenerKind>()
  const ports = new Map<number, number>()
  for (const [line, kind] of describeListeners(student.conf)) {
    const text = lines[line - 1].trim()
    if (!wanted.includes(kind)) {
      const problem =
        kind === 'mqtts'
          ? "this MQTT listener has a certificate: keep the MQTT listener plain (the grader's own client uses it); TLS goes on a WebSockets listener here"
          : `${listenerNames[kind]}, which this exercise does not ask for`
      issues.push({ line, text, problem })
      continue
    }
    if (seen.has(kind)) {
      issues.push({
        line,
        text,
        problem: `a second ${withoutArticle(kind)}: keep one of each kind (${wanted.map(withoutArticle).join(', ')})`,
      })
      continue
    }
    seen.add(kind)
    const port = kind === 'mqtt' ? options.port : options.webSocketPorts?.[kind as WebSocketListenerKind]
    if (port !== undefined) ports.set(line, port)
  }
  for (const kind of wanted) {
    if (!seen.has(kind)) issues.push({ line: 0, text: '', problem: `no ${withoutArticle(kind)}: ${howToAdd[kind]}` })
  }
  return ports
}
