// Exercise 1: Hello, broker. Read README.md first; grade with: npm run grade -- ex1
import mqtt from 'mqtt'

// The grader gives your program its inputs as environment variables, with new values on every run.
const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'student-0000'
const prefix = process.env.TOPIC_PREFIX ?? 'course/hello'

// TODO: Give the broker your client id. mqtt.connect() takes options as its second argument:
//       the broker tells clients apart by `clientId`, so every device needs its own.
const client = mqtt.connect(url)

client.on('connect', () => {
  console.log(`connected to ${url}`)
  // TODO: Subscribe to `${prefix}/inbox` with client.subscribe(topic).
  //       A subscription asks the broker: "send me every message published to this topic".

  // TODO: Publish the text `hello from ${clientId}` to `${prefix}/hello` with client.publish(topic, payload).
})

client.on('message', (topic, payload) => {
  console.log(`received on ${topic}: ${payload.toString()}`)
  // TODO: Send every message that arrives on `${prefix}/inbox` back, unchanged, to `${prefix}/echo`.
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
