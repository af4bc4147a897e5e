// Exercise 4: retained device state. Read README.md first; grade with: npm run grade -- ex4
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const deviceId = process.env.DEVICE_ID ?? 'thermostat-0000'
const stateTopic = process.env.STATE_TOPIC ?? `acme/site-1/${deviceId}/state`
const controlTopic = process.env.CONTROL_TOPIC ?? `acme/site-1/${deviceId}/control`

const state = {
  device: deviceId,
  firmware: process.env.FIRMWARE ?? '1.0.0',
  location: process.env.LOCATION ?? 'kitchen',
}

const client = mqtt.connect(url, { clientId: deviceId })

client.on('connect', async () => {
  await client.subscribeAsync(controlTopic, { qos: 1 })
  // TODO: Publish the state as JSON to stateTopic so that the broker KEEPS it for dashboards that connect
  //       later. A normal message goes to today's subscribers and is gone; the retain flag changes that.
  client.publish(stateTopic, JSON.stringify(state), { qos: 1 })
})

client.on('message', async (topic, payload) => {
  if (topic !== controlTopic) return
  const text = payload.toString()
  console.log(`control: ${text}`)
  if (text === 'decommission') {
    // TODO: Remove the device's state from the broker, then disconnect (endAsync) and exit with code 0.
    //       A retained message is removed by publishing an empty payload (zero bytes) with retain: true.
    return
  }
  // TODO: A message like {"location": "garage"}: update `state` and publish the whole state again, retained.
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
