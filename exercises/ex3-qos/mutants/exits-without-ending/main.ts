// @fails qos0-fire-and-forget: exits after the last publishAsync() without endAsync(), so queued QoS 0 messages die with it
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'meter-0000'
const topic = process.env.TOPIC ?? 'acme/site-1/meter-0000/readings'
const commandsTopic = process.env.COMMANDS_TOPIC ?? 'acme/site-1/meter-0000/commands'
const count = Number(process.env.COUNT ?? 3)
const mode = process.env.MODE ?? 'publish'
const qos = Number(process.env.QOS ?? 1) as 0 | 1 | 2

if (mode === 'publish') {
  const client = mqtt.connect(url, { clientId })
  client.on('connect', async () => {
    for (let seq = 1; seq <= count; seq++) {
      // Resolves on PUBACK (QoS 1) or PUBCOMP (QoS 2); at QoS 0, once written.
      await client.publishAsync(topic, JSON.stringify({ seq }), { qos })
    }
    process.exit(0)
  })
  client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
} else {
  // The same client id and clean: false: the broker keeps the session (subscriptions and QoS 1 messages).
  const client = mqtt.connect(url, { clientId, clean: false })
  client.on('connect', async (connack) => {
    console.log(`connected, session present: ${connack.sessionPresent}`)
    if (!connack.sessionPresent) await client.subscribeAsync(commandsTopic, { qos: 1 })
  })
  client.on('message', (_topic, payload) => console.log(`command: ${payload.toString()}`))
  client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
}
