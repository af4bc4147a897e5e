// Exercise 10: a request/response service. Reference solution.
import { setTimeout as delay } from 'node:timers/promises'
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'calc-0000'
const requestTopic = process.env.REQUEST_TOPIC ?? 'acme/svc-1/calc/requests'
// Every copy of the service names the same group: the broker gives each request to one member of it.
const shareGroup = 'calculators'

type Answer = { result: number; workMs: number } | { error: string }

/** What a request asks for, or why it cannot be done. Never throws. */
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

const client = mqtt.connect(url, { clientId, protocolVersion: 5 })

client.on('connect', async () => {
  await client.subscribeAsync(`$share/${shareGroup}/${requestTopic}`, { qos: 1 })
  console.log(`${clientId} serving $share/${shareGroup}/${requestTopic}`)
})

client.on('message', async (_topic, payload, packet) => {
  const receivedAt = Date.now()
  const properties = packet.properties ?? {}
  const { responseTopic, correlationData, messageExpiryInterval } = properties
  if (!responseTopic) {
    console.log('a request without a Response Topic: nobody to answer')
    return
  }
  const answer = evaluate(payload.toString())
  if ('workMs' in answer && answer.workMs > 0) await delay(answer.workMs)
  // The requester stops waiting once the message expires: the broker has already taken off the time it held
  // the request, so the rest runs from the moment it arrived here.
  if (messageExpiryInterval !== undefined && Date.now() - receivedAt >= messageExpiryInterval * 1000) {
    console.log(`dropped an answer nobody waits for (expired after ${messageExpiryInterval} s)`)
    return
  }
  const userProperties: Record<string, string | string[]> = {}
  const traceId = properties.userProperties?.['trace-id']
  if (traceId !== undefined) userProperties['trace-id'] = traceId
  if ('error' in answer) userProperties.error = answer.error
  const body = 'error' in answer ? { error: answer.error } : { result: answer.result }
  await client.publishAsync(responseTopic, JSON.stringify(body), {
    qos: 1,
    // An empty userProperties object makes MQTT.js 5.16 drop the whole PUBLISH without a word: leave it out.
    properties: { ...(correlationData ? { correlationData } : {}), ...(Object.keys(userProperties).length > 0 ? { userProperties } : {}) },
  })
})

async function stop(): Promise<void> {
  await client.endAsync()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
