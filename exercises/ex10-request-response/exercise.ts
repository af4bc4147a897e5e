import type { IConnectPacket, IPublishPacket, ISubackPacket, ISubscribePacket, Packet } from 'mqtt-packet'
import { CheckFailure, fail } from '../../grader/checks/check-failure.ts'
import type { GraderClient } from '../../grader/checks/grader-client.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { settleCheck } from '../../grader/checks/settle-check.ts'
import { isPublish, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeReasonCode } from '../../grader/mqtt/reason-codes.ts'
import { topicMatches } from '../../grader/mqtt/topic-filter.ts'
import { type StudentProgram, describeExit } from '../../grader/runner/student-program.ts'
import { raceSignal } from '../../grader/time/deadline.ts'
import { formatPacket, quoteText } from '../../grader/wiretap/format-packet.ts'
import type { PacketEvent } from '../../grader/wiretap/wire-trace.ts'

export type Inputs = { CLIENT_ID: string; REQUEST_TOPIC: string }

/** One request the grader sends, with the MQTT 5 properties a requester sets. */
interface Request {
  body: string
  /** Absent only on the request that has nobody to answer. */
  responseTopic: string | undefined
  /** Absent on a request that does not need it (a requester with one request in flight): it is optional. */
  correlationData?: Buffer
  /** Absent on a request with no user properties at all. */
  traceId?: string
  expiryS?: number
}

/** `$share/<group>/<filter>` taken apart, or undefined for an ordinary filter [MQTT 5.0 4.8.2]. */
function parseShared(filter: string): { group: string; filter: string } | undefined {
  const match = /^\$share\/([^/]*)\/(.*)$/.exec(filter)
  return match ? { group: match[1], filter: match[2] } : undefined
}

/** Whether a SUBSCRIBE filter, shared or not, would deliver the service's requests. */
function coversRequests(filter: string, requestTopic: string): boolean {
  return topicMatches(parseShared(filter)?.filter ?? filter, requestTopic)
}

/** The newest connection on which the program connected as `clientId`: a program may open others. */
function connectionOfClient(h: Harness<Inputs>, clientId: string): number | undefined {
  return h
    .studentTrace()
    .filter(
      (e): e is PacketEvent =>
        e.kind === 'packet' &&
        e.direction === 'to-broker' &&
        e.packet.cmd === 'connect' &&
        e.packet.clientId === clientId,
    )
    .at(-1)?.connection
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined) =>
  a !== undefined && b !== undefined && Buffer.compare(Buffer.from(a), b) === 0
export const hex = (bytes: Buffer | undefined) =>
  bytes === undefined ? '(none)' : `<${Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 ').trim()}>`

/** The grader's requester: an MQTT 5 client (properties need MQTT 5), one per run. */
const requesters = new WeakMap<object, Promise<GraderClient>>()
function requester(h: Harness<Inputs>): Promise<GraderClient> {
  let client = requesters.get(h.tap)
  if (!client) {
    client = h.connect({ name: 'requester', protocolVersion: 5 })
    requesters.set(h.tap, client)
  }
  return client
}

/**
 * A request with a response topic, correlation data and trace id of its own: nothing a program could guess.
 * `without` leaves the optional properties out: a requester need not send them, and the answer must come all
 * the same.
 */
export function newRequest(
  h: Harness<Inputs>,
  body: string,
  expiryS?: number,
  without: { correlationData?: boolean; userProperties?: boolean; responseTopic?: boolean } = {},
): Request {
  // Response topics are UTF-8 text like any topic: every one has a level beyond ASCII, on every run.
  const app = h.random.pick(['apps', 'dashboards', 'billing', 'ops'])
  return {
    body,
    responseTopic: without.responseTopic
      ? undefined
      : `${app}/${h.random.pick(['küche', 'büro', 'café', 'склад'])}-${h.random.id('client')}/replies`,
    // 0xff never occurs in UTF-8: correlation data is binary, and a program that turns it into text breaks it.
    ...(without.correlationData
      ? {}
      : { correlationData: Buffer.concat([Buffer.from([0xff]), Buffer.from(h.random.hex(14), 'hex')]) }),
    ...(without.userProperties ? {} : { traceId: h.random.hex(12) }),
    ...(expiryS !== undefined ? { expiryS } : {}),
  }
}

function describeRequest(request: Request): string {
  const expiry = request.expiryS !== undefined ? `, Message Expiry ${request.expiryS} s` : ''
  const properties = request.traceId === undefined ? ', no user properties' : ''
  const topic = request.responseTopic === undefined ? 'no Response Topic' : `Response Topic "${request.responseTopic}"`
  return `the request ${quoteText(request.body)} (${topic}, Correlation Data ${hex(request.correlationData)}${properties}${expiry})`
}

export async function send(h: Harness<Inputs>, request: Request): Promise<void> {
  const client = await requester(h)
  await client.publish(
    h.inputs.REQUEST_TOPIC,
    request.body,
    {
      qos: 1,
      properties: {
        ...(request.responseTopic !== undefined ? { responseTopic: request.responseTopic } : {}),
        ...(request.correlationData ? { correlationData: request.correlationData } : {}),
        ...(request.traceId !== undefined ? { userProperties: { 'trace-id': request.traceId } } : {}),
        ...(request.expiryS !== undefined ? { messageExpiryInterval: request.expiryS } : {}),
      },
    },
    h.signal,
  )
}

/** The delivery of `request`: known by its correlation data, or by its body (each request's is its own) without. */
const isRequestFor =
  (h: Harness<Inputs>, request: Request) =>
  (packet: Packet): packet is IPublishPacket =>
    isPublish(packet) &&
    packet.topic === h.inputs.REQUEST_TOPIC &&
    (request.correlationData
      ? sameBytes(packet.properties?.correlationData, request.correlationData)
      : packet.properties?.correlationData === undefined && payloadText(packet) === request.body)

/**
 * Sends one request and returns the first PUBLISH the service (the connection of CLIENT_ID) sent once it had
 * it: one request at a time, so that PUBLISH is the answer, wherever it went. Other connections the program
 * may open (a monitor, a metrics client) are not the service.
 */
async function answerTo(h: Harness<Inputs>, request: Request): Promise<IPublishPacket> {
  const after = h.cursor()
  const service = connectionOfClient(h, h.inputs.CLIENT_ID)
  await send(h, request)
  await h.expectPacket({
    from: 'broker',
    description: `${describeRequest(request)}, delivered to your service (${h.inputs.CLIENT_ID})`,
    match: (p): p is IPublishPacket => isRequestFor(h, request)(p) && h.connectionOf(p) === service,
    after,
  })
  try {
    return await h.expectPacket({
      from: 'program',
      description: `an answer to ${describeRequest(request)} from your service (${h.inputs.CLIENT_ID})`,
      match: (p): p is IPublishPacket =>
        isPublish(p) && p.topic !== h.inputs.REQUEST_TOPIC && h.connectionOf(p) === service,
      after,
    })
  } catch (error) {
    // The answer may have gone out on another of the program's connections: say so, rather than "no answer".
    const elsewhere = answersOf(h, request, after).find((event) => event.connection !== service)
    if (!(error instanceof CheckFailure) || !elsewhere) throw error
    const clientId = h.clientIdOf(elsewhere.connection) ?? '(no CONNECT)'
    fail({
      message: `Your program answered ${describeRequest(request)} on another connection, as "${clientId}", not on the service's own connection (${h.inputs.CLIENT_ID}, the one that received the request). Answer with the client that took the request.`,
      expected: `the answer on the connection of clientId="${h.inputs.CLIENT_ID}"`,
      received: `${formatPacket(elsewhere.packet, 5)} on the connection of clientId="${clientId}"`,
    })
  }
}

/**
 * Sends a request that lacks an optional property, then an ordinary one, and expects an answer to both: the
 * service handles requests in the order they arrive, so once the second is answered, the first has been handled
 * (no waiting for a deadline to prove it was dropped).
 */
async function expectAnswerWithout(
  h: Harness<Inputs>,
  request: Request,
  missing: string,
  advice: string,
): Promise<void> {
  const ordinary = newRequest(h, JSON.stringify({ op: 'add', args: [h.random.int(1, 50), h.random.int(1, 50)] }))
  const after = h.cursor()
  await send(h, request)
  await send(h, ordinary)
  const crashed = (details: CheckFailure['details'], exit: NonNullable<StudentProgram['exitInfo']>) =>
    fail({
      ...details,
      message: `Your program ${describeExit(exit)} when it got ${describeRequest(request)}, a request without ${missing}. ${advice}`,
      isCrash: true,
    })
  await expectAnswerTo(h, ordinary, after).catch((error: unknown) => {
    const exit = h.currentProgram?.exitInfo
    if (!(error instanceof CheckFailure) || !error.details.isCrash || !exit) throw error
    crashed(error.details, exit)
  })
  await h.barrier()
  const service = connectionOfClient(h, h.inputs.CLIENT_ID)
  const answers = h.tap.trace.packets(
    (e) =>
      e.direction === 'to-broker' &&
      e.connection === service &&
      isPublish(e.packet) &&
      e.packet.topic !== ordinary.responseTopic,
    after,
  )
  if (answers.length === 0) {
    // A handler that threw on the first request may have let the second one out before Node ended the process
    // (an unhandled rejection ends it once the current turn is over): the exit, if it comes, is the answer.
    const program = h.currentProgram!
    const exit = program.exitInfo ?? (await raceSignal(program.exited, h.within(1000)).catch(() => undefined))
    if (exit && exit.exitCode !== 0)
      crashed({ message: '', expected: `an answer on "${request.responseTopic}"`, received: describeExit(exit) }, exit)
    fail({
      message: `Your service did not answer ${describeRequest(request)}, a request without ${missing}, though it answered the request after it. ${advice}`,
      expected: `an answer on "${request.responseTopic}"`,
      received: 'no answer',
    })
  }
  const answer = answers[0].packet as IPublishPacket
  if (answer.topic !== request.responseTopic) {
    fail({
      message: `Your service answered ${describeRequest(request)}, a request without ${missing}, on "${answer.topic}", not on its Response Topic. ${advice}`,
      expected: `PUBLISH topic="${request.responseTopic}"`,
      received: formatPacket(answer, 5),
    })
  }
}

/** The program's PUBLISHes that answer `request` (its correlation data), on any connection, after `after`. */
function answersOf(h: Harness<Inputs>, request: Request, after = 0): PacketEvent[] {
  return h.tap.trace.packets(
    (e) =>
      e.direction === 'to-broker' &&
      !e.isInjected &&
      isPublish(e.packet) &&
      e.packet.topic === request.responseTopic &&
      (!request.correlationData || sameBytes(e.packet.properties?.correlationData, request.correlationData)),
    after,
  )
}

export function expectAnswerTo(h: Harness<Inputs>, request: Request, after: number): Promise<IPublishPacket> {
  return h.expectPacket({
    from: 'program',
    description: `an answer on "${request.responseTopic}" with Correlation Data ${hex(request.correlationData)}, for ${quoteText(request.body)}`,
    match: (p): p is IPublishPacket =>
      isPublish(p) &&
      p.topic === request.responseTopic &&
      sameBytes(p.properties?.correlationData, request.correlationData),
    after,
  })
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const userProperty = (packet: IPublishPacket, name: string) => packet.properties?.userProperties?.[name]

/** The SUBSCRIBE (and its SUBACK) that puts the program's `clientId` connection in a share group for the requests. */
async function expectSharedSubscription(
  h: Harness<Inputs>,
  clientId: string,
  after: number,
): Promise<{ group: string; filter: string }> {
  const { REQUEST_TOPIC } = h.inputs
  const subscribe = await h.expectPacket({
    from: 'program',
    description: `a SUBSCRIBE to $share/<group>/${REQUEST_TOPIC} from ${clientId}`,
    match: (p): p is ISubscribePacket =>
      p.cmd === 'subscribe' &&
      p.subscriptions.some((s) => coversRequests(s.topic, REQUEST_TOPIC)) &&
      h.connectionOf(p) === connectionOfClient(h, clientId),
    after,
  })
  const filter = subscribe.subscriptions.find((s) => coversRequests(s.topic, REQUEST_TOPIC))!.topic
  const shared = parseShared(filter)
  if (!shared) {
    fail({
      message: `${clientId} subscribes to "${filter}", an ordinary subscription: run two copies of your service and every request reaches both, so every request is answered twice. Subscribe to $share/<group>/${REQUEST_TOPIC}; the broker gives each request to one member of the group.`,
      expected: `SUBSCRIBE "$share/<group>/${REQUEST_TOPIC}"`,
      received: formatPacket(subscribe, 5),
    })
  }
  const connection = h.connectionOf(subscribe)
  const suback = await h.expectPacket({
    from: 'broker',
    description: `the SUBACK for ${clientId}'s subscription to "${filter}"`,
    match: (p): p is ISubackPacket =>
      p.cmd === 'suback' && p.messageId === subscribe.messageId && h.connectionOf(p) === connection,
    after,
  })
  const granted = suback.granted[subscribe.subscriptions.findIndex((s) => s.topic === filter)]
  const code = typeof granted === 'number' ? granted : (granted as { qos: number }).qos
  if (code >= 0x80) {
    fail({
      message: `The broker refused ${clientId}'s subscription to "${filter}" with ${describeReasonCode(code, 5)}. A share name is one topic level without wildcards: $share/calculators/${REQUEST_TOPIC}.`,
      expected: 'SUBACK granted=[QoS 0, 1 or 2]',
      received: formatPacket(suback, 5),
    })
  }
  return shared
}

export default defineExercise<Inputs>({
  id: 'ex10',
  slug: 'request-response',
  title: 'A request/response service',
  summary:
    'An MQTT 5 calculator service: answer each request on its Response Topic with its Correlation Data, drop expired requests, and share the load between copies.',
  lesson: '09-mqtt-5-in-practice',
  requires: ['mqtt5'],
  run: {
    entry: 'main.ts',
    inputs: (random) => ({
      CLIENT_ID: random.id(random.pick(['calc', 'calculator', 'adder', 'mathd'])),
      REQUEST_TOPIC: `${random.pick(['acme', 'globex', 'initech', 'umbrella', 'hooli'])}/svc-${random.int(1, 9)}/calc/requests`,
    }),
    deadlineMs: 60_000,
    programRuns: 2,
    startsEarly: true,
  },
  hints: [
    'Everything the answer needs is in the request: packet.properties.responseTopic says where to answer, correlationData which request it is, userProperties the trace id. MQTT.js hands you the packet as the third argument of the "message" handler.',
    'Answer with client.publish(responseTopic, body, { qos: 1, properties: { correlationData, userProperties: { "trace-id": traceId } } }). Add error: "<why>" to the user properties when the request is bad.',
    'Subscribe to $share/<any group name>/<REQUEST_TOPIC> with the same group in every copy. For expiry: note Date.now() when the request arrives; after the work, if messageExpiryInterval seconds have passed, publish nothing.',
  ],
  checks: [
    {
      id: 'connects-mqtt5',
      title: 'Your program connects as CLIENT_ID with MQTT 5',
      points: 1,
      covers: [1],
      hint: 'mqtt.connect(url, { clientId, protocolVersion: 5 }). Without protocolVersion: 5, MQTT.js speaks MQTT 3.1.1, which has no properties: no response topic, no correlation data.',
      lessonSection: 'mqtt-5-in-one-line',
      async run(h) {
        await h.program()
        const { CLIENT_ID } = h.inputs
        const connect = await h.expectPacket({
          from: 'program',
          description: `a CONNECT with client id "${CLIENT_ID}"`,
          match: (p): p is IConnectPacket => p.cmd === 'connect' && p.clientId === CLIENT_ID,
        })
        if (connect.protocolVersion !== 5) {
          fail({
            message: `Your CONNECT speaks ${connect.protocolVersion === 4 ? 'MQTT 3.1.1' : `protocol level ${connect.protocolVersion}`}. Response topics, correlation data, user properties and message expiry are MQTT 5 properties: connect with protocolVersion: 5.`,
            expected: `CONNECT clientId="${CLIENT_ID}" protocol=MQTT 5`,
            received: formatPacket(connect),
          })
        }
      },
    },
    {
      id: 'shared-subscription',
      title: 'Your program subscribes to the requests through a shared subscription, $share/<group>/REQUEST_TOPIC',
      points: 1,
      covers: [2],
      hint: 'Subscribe to $share/calculators/<REQUEST_TOPIC> (any group name, the same in every copy). The broker then hands each request to one member of the group instead of to every subscriber.',
      lessonSection: 'shared-subscriptions',
      async run(h) {
        await expectSharedSubscription(h, h.inputs.CLIENT_ID, 0)
      },
    },
    {
      id: 'replies-to-response-topic',
      title: "Your program answers each request on the request's Response Topic, with the result as JSON",
      points: 2,
      covers: [3],
      hint: 'The requester chose where it wants the answer: packet.properties.responseTopic. Publish {"result": <number>} there; never on a topic of your own.',
      lessonSection: 'request-response',
      async run(h) {
        const ops = h.random.shuffle(['add', 'multiply'] as const)
        for (const [index, op] of ops.entries()) {
          const args = Array.from({ length: h.random.int(2, 4) }, () => h.random.int(-20, 40))
          const expected = op === 'add' ? args.reduce((a, b) => a + b, 0) : args.reduce((a, b) => a * b, 1)
          // One compact, one across lines: requests are JSON as any library writes it.
          const request = newRequest(
            h,
            index === 0 ? JSON.stringify({ op, args }) : JSON.stringify({ op, args }, null, 2),
          )
          const answer = await answerTo(h, request)
          if (answer.topic !== request.responseTopic) {
            fail({
              message: `Your service answered on "${answer.topic}", but the request asked for its answer on its Response Topic "${request.responseTopic}". Every requester picks its own: read packet.properties.responseTopic and publish there.`,
              expected: `PUBLISH topic="${request.responseTopic}"`,
              received: formatPacket(answer, 5),
            })
          }
          const body = parseJson(payloadText(answer)) as { result?: unknown } | undefined
          if (body?.result !== expected) {
            fail({
              message: `Your answer to ${quoteText(request.body)} says ${quoteText(payloadText(answer))}; the requester expects {"result": ${expected}}.`,
              expected: JSON.stringify({ result: expected }),
              received: payloadText(answer),
            })
          }
          if (answer.qos !== 1) {
            fail({
              message: `Your answer went out at QoS ${answer.qos}; the task asks for QoS 1. The requester is waiting for exactly this message: at QoS 1 the broker acknowledges it, and MQTT.js sends it again if the connection drops before it does.`,
              expected: `PUBLISH topic="${request.responseTopic}" qos=1`,
              received: formatPacket(answer, 5).replace(/ id=\d+/, ''),
            })
          }
        }
      },
    },
    {
      id: 'echoes-correlation-data',
      title: "Your answer carries the request's Correlation Data, byte for byte",
      points: 2,
      covers: [4],
      hint: "Copy packet.properties.correlationData (a Buffer) into the answer's properties as it is. It is binary: turning it into a string and back changes every byte that is not valid UTF-8.",
      lessonSection: 'request-response',
      async run(h) {
        const request = newRequest(h, JSON.stringify({ op: 'add', args: [h.random.int(1, 50), h.random.int(1, 50)] }))
        const answer = await answerTo(h, request)
        const received = answer.properties?.correlationData
        if (!sameBytes(received, request.correlationData)) {
          fail({
            message:
              received === undefined
                ? "Your answer has no Correlation Data, so a requester with several requests in flight cannot tell which one it answers. Copy packet.properties.correlationData into the answer's properties."
                : `Your answer's Correlation Data is ${hex(received)}, but the request's was ${hex(request.correlationData)}. Copy the Buffer as it is: it is binary, and a round trip through a string changes bytes that are not UTF-8.`,
            expected: `correlationData=${hex(request.correlationData)}`,
            received: `correlationData=${hex(received)}`,
          })
        }
        // Correlation Data is optional: a requester with one request in flight may leave it out.
        const plain = newRequest(
          h,
          JSON.stringify({ op: 'multiply', args: [h.random.int(2, 9), h.random.int(2, 9)] }),
          undefined,
          { correlationData: true },
        )
        await expectAnswerWithout(
          h,
          plain,
          'Correlation Data',
          'Correlation Data is optional: a requester with one request in flight may leave it out. Answer it all the same, without Correlation Data (copy it only when the request has some).',
        )
      },
    },
    {
      id: 'copies-trace-id',
      title: 'Your answer carries the request\'s "trace-id" user property',
      points: 1,
      covers: [5],
      hint: 'packet.properties.userProperties is an object: put { "trace-id": <the request\'s value> } in the userProperties of your answer, so the request and its answer can be followed through the logs.',
      lessonSection: 'user-properties',
      async run(h) {
        const request = newRequest(
          h,
          JSON.stringify({ op: 'multiply', args: [h.random.int(2, 9), h.random.int(2, 9)] }),
        )
        const answer = await answerTo(h, request)
        const traceId = userProperty(answer, 'trace-id')
        if (traceId !== request.traceId) {
          fail({
            message: `The request carried the user property trace-id=${request.traceId}; your answer carries ${traceId === undefined ? 'no trace-id' : `trace-id=${JSON.stringify(traceId)}`}. Copy it into the answer's userProperties.`,
            expected: `userProperties={"trace-id": "${request.traceId}"}`,
            received: `userProperties=${JSON.stringify(answer.properties?.userProperties ?? {})}`,
          })
        }
        // A request with no user properties at all: its answer has none to copy, and must come all the same.
        const bare = newRequest(
          h,
          JSON.stringify({ op: 'add', args: [h.random.int(1, 50), h.random.int(1, 50)] }),
          undefined,
          { userProperties: true },
        )
        await expectAnswerWithout(
          h,
          bare,
          'user properties',
          'Copy the trace-id only when the request has one, and leave userProperties out of the answer when it would be empty: MQTT.js 5.16 drops a PUBLISH whose userProperties is {} without a word.',
        )
      },
    },
    {
      id: 'reports-errors',
      title: 'A bad request gets an answer with an "error" user property that says why, and your program keeps running',
      points: 2,
      covers: [6],
      hint: 'Never let JSON.parse throw out of the handler. For a request that is not JSON, has an unknown op, or args that are not numbers: answer on the Response Topic, with the Correlation Data, and userProperties: { error: "<why>" }.',
      lessonSection: 'user-properties',
      timeoutMs: 8000,
      async run(h) {
        const [a, b] = [h.random.int(1, 99), h.random.int(1, 99)]
        const bad = [
          { what: 'a request that is not JSON', body: `{"op": "add", "args": [${a}, ${b}]` },
          {
            what: 'an unknown op',
            body: JSON.stringify({ op: h.random.pick(['divide', 'subtract', 'power', 'sqrt']), args: [a, b] }),
          },
          {
            what: 'args that are not numbers',
            body: JSON.stringify({ op: h.random.pick(['add', 'multiply']), args: [String(a), b] }),
          },
        ]
        for (const { what, body } of h.random.shuffle(bad)) {
          const request = newRequest(h, body)
          const answer = await answerTo(h, request)
          const error = userProperty(answer, 'error')
          if (
            answer.topic !== request.responseTopic ||
            !sameBytes(answer.properties?.correlationData, request.correlationData)
          ) {
            fail({
              message: `Your answer to ${what} (${quoteText(body)}) must go where a good answer goes: on the Response Topic "${request.responseTopic}", with the request's Correlation Data.`,
              expected: `PUBLISH topic="${request.responseTopic}" correlationData=${hex(request.correlationData)}`,
              received: formatPacket(answer, 5),
            })
          }
          if (typeof error !== 'string' || error.trim().length === 0) {
            fail({
              message: `Your answer to ${what} (${quoteText(body)}) has no "error" user property${error !== undefined ? ' with a reason' : ''}: the requester reads it to tell a failure from a result. Add userProperties: { error: "<why>" }.`,
              expected: 'userProperties={"error": "<why the request failed>", ...}',
              received: `userProperties=${JSON.stringify(answer.properties?.userProperties ?? {})} payload=${quoteText(payloadText(answer))}`,
            })
          }
        }
        // A request without a Response Topic has nobody to answer: nothing may be published for it, and the
        // service keeps going. The request after it proves the service has handled it.
        const orphan = newRequest(h, JSON.stringify({ op: 'add', args: [a, b] }), undefined, { responseTopic: true })
        const next = newRequest(h, JSON.stringify({ op: 'multiply', args: [a, b] }))
        const after = h.cursor()
        await send(h, orphan)
        await send(h, next)
        await expectAnswerTo(h, next, after)
        await h.barrier()
        const service = connectionOfClient(h, h.inputs.CLIENT_ID)
        const stray = h.tap.trace.packets(
          (e) =>
            e.direction === 'to-broker' &&
            e.connection === service &&
            isPublish(e.packet) &&
            e.packet.topic !== next.responseTopic,
          after,
        )[0]
        if (stray) {
          fail({
            message: `Your service published ${formatPacket(stray.packet, 5).replace(/ id=\d+/, '')} for ${describeRequest(orphan)}, a request with no Response Topic. Such a request has nobody waiting for an answer: ignore it, and publish nothing (not on a topic of your own either).`,
            expected: 'nothing published for a request without a Response Topic',
            received: formatPacket(stray.packet, 5),
          })
        }
      },
    },
    {
      id: 'drops-expired',
      title: 'A request whose Message Expiry passes while your program works on it gets no answer; the others do',
      points: 2,
      covers: [7],
      hint: 'Note Date.now() when the request arrives. After the work (workMs), if messageExpiryInterval seconds have passed since then, publish nothing: the requester has stopped waiting.',
      lessonSection: 'message-expiry',
      timeoutMs: 15_000,
      async run(h) {
        const op = () => ({ op: h.random.pick(['add', 'multiply']), args: [h.random.int(1, 9), h.random.int(1, 9)] })
        // Mosquitto counts expiry in whole seconds, so a 2 s request arrives with 1 or 2 s left (1 s could arrive
        // with none): work of 2.1 s or more outlives it either way, since a timer never fires early. A later,
        // longer job proves the program has finished the stale one: its timer fires after the stale one's.
        const expiryS = 2
        const staleWorkMs = h.random.int(2100, 2300)
        const stale = newRequest(h, JSON.stringify({ ...op(), workMs: staleWorkMs }), expiryS)
        const fresh = newRequest(h, JSON.stringify({ ...op(), workMs: h.random.int(200, 500) }), h.random.int(20, 60))
        const later = newRequest(h, JSON.stringify({ ...op(), workMs: staleWorkMs + h.random.int(150, 300) }))
        const after = h.cursor()
        for (const request of [stale, fresh, later]) await send(h, request)
        await h.expectPacket({
          from: 'broker',
          description: `${describeRequest(stale)}, delivered to your service`,
          match: isRequestFor(h, stale),
          after,
        })
        await expectAnswerTo(h, fresh, after)
        await expectAnswerTo(h, later, after)
        await h.barrier()
        const answered = answersOf(h, stale, after)
        if (answered.length > 0) {
          fail({
            message: `Your service answered ${describeRequest(stale)} after ${staleWorkMs} ms of work: by then its ${expiryS} s Message Expiry had passed and the requester had stopped waiting. Check the time before you publish, and drop the answer.`,
            expected: `no answer with Correlation Data ${hex(stale.correlationData)}`,
            received: formatPacket(answered[0].packet, 5),
          })
        }
      },
    },
    {
      id: 'two-copies-share',
      title:
        'Two copies of your program run at once: every request is delivered to one of them and answered exactly once',
      points: 3,
      covers: [8],
      hint: 'Both copies must join the same share group: $share/<group>/REQUEST_TOPIC with one fixed group name. A group named after the client id puts each copy in a group of its own, and each group gets every request.',
      lessonSection: 'shared-subscriptions',
      timeoutMs: 10_000,
      async run(h) {
        const { CLIENT_ID } = h.inputs
        const second = h.random.id(CLIENT_ID.replace(/-[0-9a-f]{4}$/, ''))
        const started = h.cursor()
        await h.startProgram({ CLIENT_ID: second })
        await expectSharedSubscription(h, second, started)
        const copies = [CLIENT_ID, second]
        const connections = copies.map((id) => connectionOfClient(h, id))
        const requests = Array.from({ length: h.random.int(6, 9) }, () =>
          newRequest(h, JSON.stringify({ op: 'add', args: [h.random.int(1, 99), h.random.int(1, 99)] })),
        )
        const after = h.cursor()
        for (const request of requests) await send(h, request)
        for (const request of requests) await expectAnswerTo(h, request, after)
        await h.barrier()
        for (const request of requests) {
          // Only the two copies' service connections count: a monitor connection may see requests too.
          const deliveredTo = new Set(
            h.tap.trace
              .packets(
                (e) =>
                  e.direction === 'to-client' &&
                  connections.includes(e.connection) &&
                  isRequestFor(h, request)(e.packet),
                after,
              )
              .map((e) => e.connection),
          )
          if (deliveredTo.size > 1) {
            const filters = copies.map((id, index) => {
              const subscribe = h.tap.trace
                .packets((e) => e.connection === connections[index] && e.packet.cmd === 'subscribe')
                .at(-1)?.packet as ISubscribePacket | undefined
              return `${id}: ${subscribe?.subscriptions.map((s) => `"${s.topic}"`).join(', ') ?? 'no SUBSCRIBE'}`
            })
            fail({
              message: `The broker delivered ${describeRequest(request)} to both copies of your service: they are not members of one share group, so each gets every request. Use the same group name in every copy. Their subscriptions: ${filters.join('; ')}.`,
              expected: 'each request delivered to one copy',
              received: `delivered to ${deliveredTo.size} connections`,
            })
          }
          const answers = answersOf(h, request, after)
          if (answers.length > 1) {
            fail({
              message: `${describeRequest(request)} was answered ${answers.length} times; a requester expects exactly one answer.`,
              expected: 'one answer',
              received: answers.map((e) => formatPacket(e.packet, 5)).join('\n'),
            })
          }
        }
      },
    },
    settleCheck({ covers: [9], lessonSection: 'request-response' }),
  ],
})
