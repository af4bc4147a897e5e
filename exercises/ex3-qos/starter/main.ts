// Exercise 3: Quality of Service. Read README.md first; grade with: npm run grade -- ex3
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'meter-0000'
const topic = process.env.TOPIC ?? 'acme/site-1/meter-0000/readings'
const commandsTopic = process.env.COMMANDS_TOPIC ?? 'acme/site-1/meter-0000/commands'
const count = Number(process.env.COUNT ?? 3)
const mode = process.env.MODE ?? 'publish'
// TODO: Use the QoS the grader asks for: process.env.QOS is "0", "1" or "2". QoS is a number to MQTT.js.
const qos = 0

if (mode === 'publish') {
  // Part 1: send `count` readings {"seq": 1} .. {"seq": count}, then leave.
  const client = mqtt.connect(url, { clientId })
  client.on('connect', async () => {
    for (let seq = 1; seq <= count; seq++) {
      // TODO: A QoS 1 or 2 message is delivered only when its acknowledgement comes back.
      //       publish() returns at once; publishAsync() resolves when the exchange is complete. Wait for it.
      client.publish(topic, JSON.stringify({ seq }), { qos })
    }
    // TODO: Close the session cleanly (await client.endAsync()) and exit with code 0 only when all is delivered.
    process.exit(0)
  })
  client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
} else {
  // Part 2: a device that must not miss a command, even when its network drops for a while.
  // TODO: A persistent session: the broker keeps your subscriptions and your QoS 1 messages while you are
  //       away, if you connect with clean: false (and the same client id each time).
  const client = mqtt.connect(url, { clientId })
  client.on('connect', async (connack) => {
    console.log(`connected, session present: ${connack.sessionPresent}`)
    // TODO: Subscribe at QoS 1: QoS 0 messages are not kept for an absent client.
    await client.subscribeAsync(commandsTopic, { qos: 0 })
  })
  client.on('message', (_topic, payload) => console.log(`command: ${payload.toString()}`))
  client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
}
