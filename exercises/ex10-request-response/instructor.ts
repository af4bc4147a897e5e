import { fail } from '../../grader/checks/check-failure.ts'
import { defineInstructorChecks } from '../../grader/exercises/define-exercise.ts'
import { payloadText } from '../../grader/mqtt/packet-guards.ts'
import { type Inputs, expectAnswerTo, hex, newRequest, parseJson, send } from './exercise.ts'

/**
 * ex10's instructor-only check (a hidden test): not in the student edition; `batch` and the Gradescope
 * autograder run it, and students see it after the due date. The visible checks send one request at a time;
 * this one sends a burst at once, as a busy service gets them, and expects each answered with its own result
 * and its own Correlation Data: a service that keeps "the current request" in a variable shared by its
 * handlers (and awaits in between) mixes them up.
 */
export default defineInstructorChecks<Inputs>([
  {
    id: 'answers-a-burst',
    title: 'Your service answers a burst of requests sent at once, each with its own result and Correlation Data',
    points: 1,
    covers: [4],
    hint: 'Read everything the answer needs (Response Topic, Correlation Data, trace id) from the packet the handler was given, in that call: a variable shared between messages is overwritten by the next request.',
    lessonSection: 'request-response',
    timeoutMs: 10_000,
    async run(h) {
      const burst = Array.from({ length: 6 }, () => {
        const args = [h.random.int(1, 99), h.random.int(1, 99)]
        return { request: newRequest(h, JSON.stringify({ op: 'add', args })), expected: args[0] + args[1] }
      })
      const after = h.cursor()
      for (const { request } of burst) await send(h, request)
      // Which answers carry another request's result, and which value they carry, depends on the timing of the
      // program's handlers: the message says what is wrong in words that hold on every run, and the first wrong
      // answer (in the order the requests were sent) goes to expected and received.
      for (const { request, expected } of burst) {
        const answer = await expectAnswerTo(h, request, after)
        const body = parseJson(payloadText(answer)) as { result?: unknown } | undefined
        if (body?.result !== expected) {
          fail({
            message: `${burst.length} requests arrived at once, and an answer went out with another request's result: each answer must carry the result of the request its Correlation Data names. Take everything the answer needs from the packet this call of the handler got, and keep it in that call.`,
            expected: `the answer to ${request.body} (Correlation Data ${hex(request.correlationData)}): ${JSON.stringify({ result: expected })}`,
            received: payloadText(answer),
          })
        }
      }
    },
  },
])
