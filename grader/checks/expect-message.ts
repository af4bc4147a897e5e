import type { IPublishPacket } from 'mqtt-packet'
import { DeadlineExceeded, formatDuration } from '../time/deadline.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import type { CheckContext } from './check-context.ts'
import { ProgramExited, fail } from './check-failure.ts'
import type { GraderClient } from './grader-client.ts'
import type { ExpectMessageOptions, ExpectNoMessageOptions } from './harness.ts'
import { describeOutput, hasCrashed, summarizeSent } from './program-output.ts'

/** Harness.expectMessage, for a check's harness (harness.ts says what it waits for). */
export async function expectMessage(
  h: CheckContext,
  client: GraderClient,
  options: ExpectMessageOptions,
): Promise<IPublishPacket> {
  const after = options.after ?? 0
  try {
    return await client.waitForMessage(options.match, h.untilProgramFails(), after)
  } catch (reason) {
    if (reason instanceof ProgramExited) {
      // What the program published before exiting may still be on its way: drain, then flush the broker.
      await h.settleConnections()
      await client.barrier(h.within(2000)).catch(() => {})
      const late = client.messages(after).find(options.match)
      if (late) return late
      fail({
        message: `Your program ${reason.description} before the grader received ${options.description}.`,
        expected: options.description,
        received: describeOutput(h.currentProgram!) ?? summarizeSent(h.tap.trace.events()),
        trace: h.tap.trace.events(),
        isCrash: hasCrashed(h.currentProgram!),
      })
    }
    if (reason instanceof DeadlineExceeded) {
      const received = client.messages(after).filter(options.isRelevant ?? (() => true))
      fail({
        message: `The grader did not receive ${options.description} within ${formatDuration(reason.timeoutMs)}.`,
        expected: options.description,
        received: received.length ? received.map((m) => formatPacket(m)).join('\n') : 'no message',
        trace: h.tap.trace.events(),
      })
    }
    throw reason
  }
}

/** Harness.expectNoMessage, for a check's harness (harness.ts says what it waits for). */
export async function expectNoMessage(
  h: CheckContext,
  client: GraderClient,
  options: ExpectNoMessageOptions,
): Promise<void> {
  await h.barrier()
  await client.barrier(h.signal)
  const unexpected = client.messages(options.after ?? 0).filter(options.match)
  if (unexpected.length === 0) return
  fail({
    message: `The grader received ${options.description}, which must not arrive: ${options.because}.`,
    expected: 'nothing',
    received: unexpected.map((message) => formatPacket(message)).join('\n'),
    trace: h.tap.trace.events(),
  })
}
