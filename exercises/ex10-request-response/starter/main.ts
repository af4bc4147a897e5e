// Exercise 10: a request/response service. Read README.md first; grade with: npm run grade -- ex10
import { setTimeout as delay } from 'node:timers/promises'
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'calc-0000'
const requestTopic = process.env.REQUEST_TOPIC ?? 'acme/svc-1/calc/requests'

type Answer = { result: number; workMs: number } | { error: string }

/** What a request asks for, or why it cannot be done. Never throws. (Done for you: the MQTT part is yours.) */
function evaluate(text: string): Answer {
  let request: unknown
  try {
    request = JSON.parse(text)
  } catch {
    return { error: 'the request is not JSON' }
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { error: 'a request is a JSON object: {"op": "add", "args": [1, 2]}' }
  const { op, args, workMs = 0 } = request as { op?: unknown; args?: unknown; workMs?: unknown }
  if (op !== 'add' && op !== 'multiply') return { error: `unknown op ${JSON.stringify(op)}: use "add" or "multiply"` }
  if (!Array.isArray(args) || args.length === 0 || !args.every((arg) => typeof arg === 'number' && Number.isFinite(arg))) {
    return { error: 'args must be a non-empty array of numbers' }
  }
  if (typeof workMs !== 'number' || workMs < 0) return { error: 'workMs must be a number of milliseconds' }
  const result = op === 'add' ? args.reduce((sum: number, n: number) => sum + n, 0) : args.reduce((product: number, n: number) => product * n, 1)
  return { result, workMs }
}

// TODO: Speak MQTT 5 (protocolVersion: 5). MQTT 3.1.1 has no properties: no response topic, no correlation
//       data, no user properties, no message expiry.
const client = mqtt.connect(url, { clientId })

client.on('connect', async () => {
  // TODO: Subscribe through a shared subscription, $share/<group>/<requestTopic>, with a group name that every
  //       copy of the service uses. An ordinary subscription gives every copy every request.
  await client.subscribeAsync(requestTopic, { qos: 1 })
  console.log(`${clientId} serving ${requestTopic}`)
})

client.on('message', async (_topic, payload, packet) => {
  // packet.properties holds what the requester set: responseTopic, correlationData, userProperties,
  // messageExpiryInterval (seconds the requester will wait, from the moment the request reaches you).
  const properties = packet.properties ?? {}
  const answer = evaluate(payload.toString())
  if ('workMs' in answer && answer.workMs > 0) await delay(answer.workMs)
  // TODO: If the request carried a messageExpiryInterval and that many seconds have passed since it arrived,
  //       publish nothing: the requester has stopped waiting. (Note Date.now() when the request arrives.)
  // TODO: Answer on properties.responseTopic (not a topic of your own), with properties.correlationData copied
  //       as it is (a Buffer) and the "trace-id" user property copied from the request. For a bad request, add
  //       the user property error: "<why>". Leave userProperties out when it would be empty: MQTT.js 5.16
  //       silently drops a PUBLISH whose userProperties is {}.
  const body = 'error' in answer ? { error: answer.error } : { result: answer.result }
  await client.publishAsync(`${requestTopic}/answers`, JSON.stringify(body), { qos: 1 })
  void properties
})

async function stop(): Promise<void> {
  await client.endAsync()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
