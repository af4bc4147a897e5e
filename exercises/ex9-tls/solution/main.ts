// Exercise 9: TLS. Reference solution.
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import mqtt, { type IClientOptions } from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtts://localhost:8883'
const caFile = process.env.CA_FILE ?? 'ca.crt'
const clientId = process.env.CLIENT_ID ?? 'meter-0000'
const topic = process.env.TOPIC ?? 'home/kitchen/meter-0000/energy'
const payload = process.env.PAYLOAD ?? '{"kwh":1.5}'

// MQTT.js hands its TLS options on to Node's tls.connect(), but its own type lists only some of them: typed as
// both, any of Node's TLS options (minVersion, servername, ...) is accepted.
// Trust exactly the course CA; Node's defaults check both the signature and the host name.
const options: IClientOptions & ConnectionOptions = { clientId, ca: readFileSync(caFile), reconnectPeriod: 0 }
const client = mqtt.connect(url, options)

client.on('connect', async () => {
  console.log(`connected to ${url} over TLS`)
  await client.publishAsync(topic, payload, { qos: 1 })
  await client.endAsync()
  process.exit(0)
})

client.on('error', (error) => {
  console.error(`TLS/MQTT error: ${error.message}`)
  process.exit(1)
})
