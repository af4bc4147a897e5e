import { describeExit } from '../runner/student-program.ts'
import { fail } from './check-failure.ts'
import type { Harness } from './harness.ts'

/** The two impostors every TLS task meets on every run: another CA's certificate, and a course one for another name. */
export type ImpostorKind = 'unknown-ca' | 'wrong-name'

export interface ImpostorCheckOptions {
  /** The URL scheme the program is given: mqtts for MQTT over TLS, wss for MQTT over secure WebSockets. */
  scheme: 'mqtts' | 'wss'
  /** Completes "Your client refused ...": `a server whose certificate the course CA did not sign`. */
  what: string
  /** The sentence that says how to stop trusting it: `Remove rejectUnauthorized: false: ...`. */
  fix: string
  /**
   * Whether the program must then exit with a non-zero code (a one-shot program, ex9); a device that keeps
   * retrying (ex11) is stopped by the grader once it has refused.
   */
  mustExitWithError: boolean
}

/**
 * Starts the program against an impostor broker (MQTT_URL is the impostor's, on 127.0.0.1) and reads the verdict
 * from the impostor's side of the handshake: a TLS alert means the client refused; a finished handshake followed
 * by bytes (a CONNECT, or a WebSocket upgrade) means it trusted a stranger.
 */
export async function expectImpostorRefused(
  h: Harness,
  kind: ImpostorKind,
  options: ImpostorCheckOptions,
): Promise<void> {
  await using impostor = await h.startRogueServer(kind)
  const url = impostor.urlFor(options.scheme)
  const program = await h.startProgram({ MQTT_URL: url })
  try {
    const verdict = await Promise.race([
      impostor.verdict(h.signal),
      program.exited.then((exit) => ({ kind: 'exited' as const, exit })),
    ])
    if (verdict.kind === 'refused') {
      if (!options.mustExitWithError) return
      // Refused: now the program must say so with its exit code, or a script running it believes it worked.
      const exit = await h.expectExit('exited with a non-zero code once the TLS connection failed')
      if (exit.exitCode === 0 || exit.exitCode === undefined) {
        fail({
          message: `Your client refused ${options.what}, good, but then your program ${describeExit(exit)}: whoever runs it (a script, systemd, CI) would think the reading was delivered. On a connection error, print it and exit with a non-zero code (process.exit(1)).`,
          expected: 'a non-zero exit code',
          received: describeExit(exit),
        })
      }
      return
    }
    if (verdict.kind === 'exited') {
      fail({
        message: `Your program ${describeExit(verdict.exit)} without even trying the server at MQTT_URL: it must connect to the URL it is given, and refuse ${options.what}.`,
        expected: `a TLS handshake with ${url}, refused by your client`,
        received: `no connection; your program ${describeExit(verdict.exit)}`,
      })
    }
    fail({
      message: `Your client completed a TLS handshake with ${options.what}, then went on to send it its ${options.scheme === 'wss' ? 'WebSocket upgrade, and then its CONNECT' : 'CONNECT'}: whatever your client says, a username and password included, goes to an impostor. ${options.fix}`,
      expected: 'the handshake aborted by your client (a TLS alert)',
      received: `handshake completed, then ${verdict.bytes} bytes sent`,
    })
  } finally {
    // A device retries forever: it has shown what it does, and must not outlive the check.
    if (!options.mustExitWithError) await program.kill()
  }
}
