import tls from 'node:tls'
import { GuardedListener } from '../sandbox/guarded-listener.ts'
import type { ServerCertificate } from '../broker/throwaway-certificates.ts'
import { raceSignal } from '../time/deadline.ts'

/** What a client did when it met a server whose certificate its CA did not sign. */
export type RogueVerdict =
  | { kind: 'refused'; reason: string }
  /** The handshake completed: the client trusted a stranger. `bytes` is what it sent afterwards. */
  | { kind: 'accepted'; bytes: number }

/**
 * A TLS server on loopback with a certificate from another CA: an impostor broker. A client that checks
 * certificates aborts the handshake (the server sees a TLS alert); one that does not completes it and sends
 * its CONNECT, which is exactly the mistake `rejectUnauthorized: false` makes.
 */
export class RogueTlsServer implements AsyncDisposable {
  readonly #listener: GuardedListener
  readonly #verdict: Promise<RogueVerdict>

  private constructor(listener: GuardedListener, verdict: Promise<RogueVerdict>) {
    this.#listener = listener
    this.#verdict = verdict
  }

  static async start(certificate: ServerCertificate): Promise<RogueTlsServer> {
    const server = tls.createServer({ cert: certificate.certificatePem, key: certificate.privateKeyPem })
    const verdict = new Promise<RogueVerdict>((resolve) => {
      server.on('tlsClientError', (error) => resolve({ kind: 'refused', reason: error.message }))
      server.on('secureConnection', (socket) => {
        let bytes = 0
        socket.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          resolve({ kind: 'accepted', bytes })
          socket.destroy()
        })
        socket.on('error', () => {})
        socket.on('close', () => resolve({ kind: 'accepted', bytes }))
      })
    })
    // Reached like the tap: only by the program it is named to (guarded-listener.ts).
    const listener = await GuardedListener.listen((socket) => server.emit('connection', socket))
    return new RogueTlsServer(listener, verdict)
  }

  get url(): string {
    return this.urlFor('mqtts')
  }

  /** Where a client finds the impostor: `mqtts://127.0.0.1:<port>`, or `wss://127.0.0.1:<port>/mqtt` for WebSockets. */
  urlFor(scheme: 'mqtts' | 'wss', path = scheme === 'wss' ? '/mqtt' : ''): string {
    return `${scheme}://127.0.0.1:${this.#listener.port}${path}`
  }

  /** The first thing a client did: refused the certificate, or accepted it. */
  verdict(signal: AbortSignal): Promise<RogueVerdict> {
    return raceSignal(this.#verdict, signal)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#listener.close()
  }
}
