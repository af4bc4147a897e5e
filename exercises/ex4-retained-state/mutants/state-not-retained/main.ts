// @fails publishes-state-retained: the state is published without the retain flag
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

/** The broker keeps the last retained message of a topic: the device's state, for whoever asks later. */
function publishState(): Promise<unknown> {
  return client.publishAsync(stateTopic, JSON.stringify(state), { qos: 1 })
}

client.on('connect', async () => {
  await client.subscribeAsync(controlTopic, { qos: 1 })
  await publishState()
})

client.on('message', async (topic, payload) => {
  if (topic !== controlTopic) return
  const text = payload.toString()
  console.log(`control: ${text}`)
  if (text === 'decommission') {
    // An empty retained payload deletes the retained message.
    await client.publishAsync(stateTopic, '', { qos: 1, retain: true })
    await client.endAsync()
    process.exit(0)
  }
  const change = JSON.parse(text) as { location?: string }
  if (typeof change.location === 'string') {
    state.location = change.location
    await publishState()
  }
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
