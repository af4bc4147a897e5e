// Exercise 11: over WebSockets. Reference solution.
import { readFileSync } from 'node:fs'
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'ws://localhost:8080/mqtt'
const caFile = process.env.CA_FILE ?? 'ca.crt'
const deviceId = process.env.DEVICE_ID ?? 'sensor-0000'
const statusTopic = process.env.STATUS_TOPIC ?? `acme/site-1/${deviceId}/status`

// The URL's scheme picks the transport (ws:// a WebSocket, wss:// one inside TLS) and its path is where the
// broker serves MQTT: nothing else changes. For wss://, trust exactly the course CA.
const client = mqtt.connect(url, {
  clientId: deviceId,
  will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
  ...(url.startsWith('wss:') ? { ca: readFileSync(caFile) } : {}),
})

client.on('connect', () => {
  console.log(`${deviceId} connected to ${url}`)
  client.publish(statusTopic, 'online', { qos: 1, retain: true })
})

let isStopping = false
async function stop(signal: string): Promise<void> {
  if (isStopping) return
  isStopping = true
  console.log(`${signal}: going offline`)
  await client.publishAsync(statusTopic, 'offline', { qos: 1, retain: true })
  await client.endAsync()
  process.exit(0)
}
process.on('SIGTERM', () => void stop('SIGTERM'))
process.on('SIGINT', () => void stop('SIGINT'))

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
