// Exercise 9: TLS. Read README.md first; grade with: npm run grade -- ex9
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import mqtt, { type IClientOptions } from 'mqtt'

// MQTT_URL is an mqtts:// URL: MQTT inside TLS.
const url = process.env.MQTT_URL ?? 'mqtts://localhost:8883'
const caFile = process.env.CA_FILE ?? 'ca.crt'
const clientId = process.env.CLIENT_ID ?? 'meter-0000'
const topic = process.env.TOPIC ?? 'home/kitchen/meter-0000/energy'
const payload = process.env.PAYLOAD ?? '{"kwh":1.5}'

// TODO: Trust the course CA, and only it: read the PEM file at caFile and add it to `options` below
//       as the `ca` option. Node then accepts the broker's certificate because that CA signed it.
//       Do not switch the checks off (rejectUnauthorized: false): anyone could then pretend to be the broker.
console.log(`would trust the CA in ${caFile}`)
// MQTT.js hands its TLS options on to Node's tls.connect(), but its own type lists only some of them: typed as
// both, any of Node's TLS options (ca, minVersion, servername, ...) is accepted.
const options: IClientOptions & ConnectionOptions = { clientId, reconnectPeriod: 0 }
const client = mqtt.connect(url, options)

client.on('connect', async () => {
  console.log(`connected to ${url} over TLS`)
  // TODO: Publish `payload` to `topic` at QoS 1 and wait for the broker's acknowledgement (publishAsync),
  //       then close the connection (endAsync) and exit with code 0.
})

// A TLS failure (unknown CA, wrong host name) arrives here: report it and exit with an error code.
client.on('error', (error) => {
  console.error(`TLS/MQTT error: ${error.message}`)
  process.exit(1)
})
