import type { CheckInput } from './check-definition.ts'
import { describeExit } from '../runner/student-program.ts'
import { DeadlineExceeded, formatDuration } from '../time/deadline.ts'
import { formatPacket, formatTraceEvent } from '../wiretap/format-packet.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import { fail } from './check-failure.ts'
import type { Harness, Inputs } from './harness.ts'

/**
 * How long the grader watches a program after its last check. A measurement window, like a keepalive's: what
 * is proven is that nothing happens in it, which no event can announce. MQTT.js retries a lost connection
 * after 1 s, and a timer that publishes every second fires in it at least once; it is kept that short because
 * a passing grade (and a passing save in watch) waits for it.
 */
export const settleWindowMs = 1500

/**
 * What a program left alone must not do: end a connection it had (a DISCONNECT, a close), publish, or connect
 * again with a client id it has used before (a reconnection, or a takeover storm starting). A connection opened
 * for the first time (a monitor that comes up late), its SUBSCRIBEs and its keepalives are its own business; so
 * is a stranger's connection to the tap (on a shared machine, another grade's program scanning ports).
 */
function unaskedIn(knownIds: ReadonlySet<string>, openAtStart: ReadonlySet<number>): (event: TraceEvent) => boolean {
  return (event) => {
    // Only the connections the program had when the window began can be ended: one opened since is new.
    if (event.kind === 'connection') return event.state === 'closed' && openAtStart.has(event.connection)
    if (event.kind !== 'packet' || event.isInjected || event.direction !== 'to-broker') return false
    const { packet } = event
    return (
      packet.cmd === 'publish' ||
      (packet.cmd === 'disconnect' && openAtStart.has(event.connection)) ||
      (packet.cmd === 'connect' && knownIds.has(packet.clientId))
    )
  }
}

/**
 * The settle check, for exercises whose program keeps running after the last check: for a while after it, the
 * grader asks nothing and watches the whole trace. The program must still be running, on the connections it had,
 * and publish nothing: no reconnection (a takeover storm starts this way), no publish nobody asked for, no
 * goodbye. A program may misbehave once the checks it fears are over; this is the
 * check that sees it. Takeovers anywhere in the run are reported by every check (ConnectionWatch).
 */
export function settleCheck<I extends Inputs>(options: {
  covers: number[]
  points?: number
  lessonSection?: string
  windowMs?: number
}): CheckInput<I> {
  const windowMs = options.windowMs ?? settleWindowMs
  return {
    id: 'settles',
    title:
      'After the last check, your program keeps running on the connection it has, and sends nothing nobody asked for',
    points: options.points ?? 1,
    covers: options.covers,
    hint: 'Connect once and keep that client for the whole run: no timers that reconnect, publish or disconnect on their own, no second client with the same id. MQTT.js reconnects by itself when a connection is lost; the program ends only when it is stopped (SIGTERM).',
    ...(options.lessonSection ? { lessonSection: options.lessonSection } : {}),
    timeoutMs: windowMs + 5000,
    run: (h) => expectSettled(h, windowMs),
  }
}

const endedMessage =
  'Your program ended its connection or exited after the last check, while nobody asked it anything: the task says it keeps running, connected, until it is stopped. A device or a service that ends on its own is one nobody can reach. Do not end the client on a timer, after a number of messages, or when messages stop coming; end it only on SIGTERM.'

async function expectSettled(h: Harness, windowMs: number): Promise<void> {
  const program = h.currentProgram
  if (!program) throw new Error('the settle check needs a program that was started by an earlier check')
  const window = `the ${formatDuration(windowMs)} the grader watched after the last check, asking nothing`
  const expected = 'your program still running, connected, publishing nothing and not connecting again'
  // Ended before the window began (a DISCONNECT right after the last answer, say) or during it: one message,
  // whichever the grader happened to see first.
  const ended = (received: string) => fail({ message: endedMessage, expected, received, trace: h.studentTrace() })
  if (program.exitInfo) ended(`your program ${describeExit(program.exitInfo)}`)
  if (h.tap.openConnections().length === 0) ended('no open connection')
  const after = h.cursor()
  const knownIds = new Set(
    h.tap.trace
      .packets((e) => e.direction === 'to-broker' && e.packet.cmd === 'connect')
      .map((e) => (e.packet as { clientId: string }).clientId),
  )
  const seen = await Promise.race([
    h.tap.trace.waitFor(
      unaskedIn(knownIds, new Set(h.tap.openConnections().map((connection) => connection.id))),
      h.within(windowMs),
      after,
    ),
    program.exited.then((exit) => ({ exit })),
  ]).catch((error: unknown) => {
    if (error instanceof DeadlineExceeded) return undefined
    throw error
  })
  if (!seen) return
  if ('exit' in seen) ended(`your program ${describeExit(seen.exit)}`)
  const event = seen as TraceEvent
  const packet = event.kind === 'packet' ? event.packet : undefined
  if ((event.kind === 'connection' && event.state === 'closed') || packet?.cmd === 'disconnect')
    ended(formatTraceEvent(event))
  fail({
    message: describeUnasked(event, window),
    expected,
    received: formatTraceEvent(event),
    trace: h.studentTrace(after),
  })
}

function describeUnasked(event: TraceEvent, window: string): string {
  const packet = event.kind === 'packet' ? event.packet : undefined
  if (packet?.cmd === 'connect') {
    return `Your program connected again during ${window}, with a client id it had connected with before, though nothing had cut its connection. A client that connects again without a reason loads the broker, and with the same client id takes its own session over. Connect once; MQTT.js reconnects by itself when a connection is really lost.`
  }
  if (packet?.cmd === 'publish') {
    // Without its packet id, which MQTT.js picks at random: the message must read the same on every run.
    const shown = formatPacket(packet, event.kind === 'packet' ? event.protocolVersion : 4).replace(/ id=\d+/, '')
    return `Your program published ${shown} during ${window}. Publish only what the task asks for, when it asks: a timer that publishes again, or an answer sent twice, is noise every subscriber receives (and, retained, can overwrite the truth).`
  }
  return `Your program sent ${packet ? packet.cmd.toUpperCase() : 'something'} during ${window}, when nothing had asked it to. Do each step of the task once, when it is due.`
}
