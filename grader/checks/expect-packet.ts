import type { Packet } from 'mqtt-packet'
import { DeadlineExceeded, formatDuration } from '../time/deadline.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import type { Direction, PacketEvent, TraceEvent } from '../wiretap/wire-trace.ts'
import type { CheckContext } from './check-context.ts'
import { ProgramExited, fail } from './check-failure.ts'
import type { ExpectPacketOptions } from './harness.ts'
import { describeOutput, hasCrashed, summarizeSent } from './program-output.ts'

/** Harness.expectPacket, for a check's harness (harness.ts says what it waits for). */
export async function expectPacket<P extends Packet>(
  h: CheckContext,
  options: ExpectPacketOptions<P>,
): Promise<P & Packet> {
  const direction: Direction = options.from === 'program' ? 'to-broker' : 'to-client'
  const isJudged = (connection: number) =>
    options.onConnection !== undefined
      ? connection === options.onConnection
      : options.connections === 'any' || h.session.isTaskConnection(connection)
  const accept = (event: TraceEvent): event is PacketEvent =>
    event.kind === 'packet' &&
    event.direction === direction &&
    !event.isInjected &&
    isJudged(event.connection) &&
    options.match(event.packet)
  const after = options.after ?? 0
  try {
    const event = await h.tap.trace.waitFor(accept, h.untilProgramFails(), after)
    return event.packet as P & Packet
  } catch (reason) {
    if (reason instanceof ProgramExited) {
      // The program may have sent the packet just before exiting: let its connections drain, then look again.
      await h.settleConnections()
      const late = h.tap.trace.events(after).find(accept)
      if (late) return late.packet as P & Packet
    }
    if (reason instanceof ProgramExited || reason instanceof DeadlineExceeded)
      failIfOnAnotherConnection(h, options, after)
    if (reason instanceof ProgramExited) {
      const program = h.currentProgram!
      fail({
        message: `Your program ${reason.description} before ${options.from === 'program' ? 'sending' : 'receiving'} ${options.description}.`,
        expected: options.description,
        received: describeOutput(program) ?? summarizeSent(h.tap.trace.events(after)),
        trace: h.tap.trace.events(after),
        isCrash: hasCrashed(program),
      })
    }
    if (reason instanceof DeadlineExceeded) {
      const events = h.tap.trace.events(after)
      fail({
        message:
          options.from === 'program'
            ? `Your program did not send ${options.description} within ${formatDuration(reason.timeoutMs)}.`
            : `The broker did not send your program ${options.description} within ${formatDuration(reason.timeoutMs)}.`,
        expected: options.description,
        received: summarizeSent(events),
        trace: events,
      })
    }
    throw reason
  }
}

/**
 * When what was awaited did cross the wire, but on a connection the task is not about (another client id),
 * that is the mistake to name: "it never came" would be wrong.
 */
function failIfOnAnotherConnection(h: CheckContext, options: ExpectPacketOptions<Packet>, after: number): void {
  const expected = h.session.options.taskClientId
  if (!expected || options.connections === 'any' || options.onConnection !== undefined) return
  const direction: Direction = options.from === 'program' ? 'to-broker' : 'to-client'
  const elsewhere = h.tap.trace.packets(
    (e) =>
      e.direction === direction &&
      !e.isInjected &&
      !h.session.isTaskConnection(e.connection) &&
      options.match(e.packet),
    after,
  )[0]
  if (!elsewhere) return
  const other = h.session.clientIdOf(elsewhere.connection) ?? '(none yet)'
  fail({
    message: `Your program ${options.from === 'program' ? 'sent' : 'received'} ${options.description} on another connection, as "${other}", not on the one with the client id ${expected.input} ("${expected.value}"). The task is about that client: do it with that connection.`,
    expected: `${options.description}, on the connection of clientId="${expected.value}"`,
    received: `${formatPacket(elsewhere.packet)} on the connection of clientId="${other}"`,
    trace: h.tap.trace.events(after),
  })
}
