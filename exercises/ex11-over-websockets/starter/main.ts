// Exercise 11: over WebSockets. Read README.md first; grade with: npm run grade -- ex11
// This is the device of exercise 5, done. Most of this exercise is mosquitto.conf, next to this file.
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'ws://localhost:8080/mqtt'
const deviceId = process.env.DEVICE_ID ?? 'sensor-0000'
const statusTopic = process.env.STATUS_TOPIC ?? `acme/site-1/${deviceId}/status`

// TODO: Read the course CA, a PEM file whose path is in process.env.CA_FILE (readFileSync from node:fs).
//       Over wss:// your client checks the broker's certificate, and the course CA is no public CA.

// MQTT.js picks the transport from the URL: ws:// opens a WebSocket, wss:// a WebSocket inside TLS, and the
// URL's path is /mqtt, where many brokers and proxies serve MQTT (Mosquitto ignores it; the grader accepts
// only /mqtt). So pass MQTT_URL as it is, and override none of it.
const client = mqtt.connect(url, {
  clientId: deviceId,
  will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
  // TODO: For wss:// URLs, trust exactly the course CA: pass what you read as the `ca` option.
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
