// A mosquitto.conf the student wrote, and what goes wrong with one: the broker's words for the student's file,
// apart from the config writer (mosquitto-conf.ts) so that broker.ts and the WebSocket listeners can name them.

/**
 * A mosquitto.conf the student wrote (ex8, ex9, ex11), and the files it may name: the student's acl and passwd,
 * the grader's certificates. Referred to by file name: `acl_file /etc/mosquitto/acl` means the file `acl`.
 */
export interface StudentConfig {
  conf: string
  files: Record<string, string>
  /**
   * The WebSocket listeners the config must add beside its one MQTT listener (ex11): `ws` plain, `wss` with the
   * course certificate. Without it the config has exactly one listener.
   */
  webSockets?: readonly WebSocketListenerKind[]
}

/** A WebSocket listener: `ws` (plain) or `wss` (TLS with the grader's certificate). */
export type WebSocketListenerKind = 'ws' | 'wss'

/** A line of the student's config the grader cannot run, and why, in words for the student. */
export interface ConfIssue {
  line: number
  text: string
  problem: string
}

/** The URL of each WebSocket listener a student's config adds, as the grader reaches it. */
export type WebSocketUrls = Partial<Record<WebSocketListenerKind, string>>

/** The student's config could not be used: a failed check (the student's doing), never a GraderError. */
export class StudentConfigError extends Error {
  readonly issues: readonly ConfIssue[]
  /** What was observed, for the report's "received": Mosquitto's log, or what a client ran into. */
  readonly received: string | undefined
  /** What to do next, when it is more specific than "fix the line Mosquitto names". */
  readonly hint: string | undefined
  constructor(message: string, issues: readonly ConfIssue[], details: { received?: string; hint?: string } = {}) {
    super(message)
    this.name = 'StudentConfigError'
    this.issues = issues
    this.received = details.received
    this.hint = details.hint
  }
}
