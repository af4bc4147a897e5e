// @fails echoes: client.once() handles only the first message
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'student-0000'
const prefix = process.env.TOPIC_PREFIX ?? 'course/hello'
const inbox = `${prefix}/inbox`

const client = mqtt.connect(url, { clientId })

client.on('connect', async () => {
  console.log(`connected to ${url} as ${clientId}`)
  await client.subscribeAsync(inbox)
  await client.publishAsync(`${prefix}/hello`, `hello from ${clientId}`)
})

client.once('message', (topic, payload) => {
  if (topic !== inbox) return
  console.log(`received on ${topic}: ${payload.toString()}`)
  client.publish(`${prefix}/echo`, payload)
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
