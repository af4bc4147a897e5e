// @fails refuses-unknown-ca: rejectUnauthorized: false "fixes" the CA error by trusting every certificate
import { readFileSync } from 'node:fs'
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtts://localhost:8883'
const caFile = process.env.CA_FILE ?? 'ca.crt'
const clientId = process.env.CLIENT_ID ?? 'meter-0000'
const topic = process.env.TOPIC ?? 'home/kitchen/meter-0000/energy'
const payload = process.env.PAYLOAD ?? '{"kwh":1.5}'

// Trust exactly the course CA; Node's defaults check both the signature and the host name.
const client = mqtt.connect(url, { clientId, ca: readFileSync(caFile), rejectUnauthorized: false, reconnectPeriod: 0 })

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
