// Exercise 5: Last Will and Testament. Reference solution.
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const deviceId = process.env.DEVICE_ID ?? 'sensor-0000'
const statusTopic = process.env.STATUS_TOPIC ?? `acme/site-1/${deviceId}/status`

const client = mqtt.connect(url, {
  clientId: deviceId,
  will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
})

client.on('connect', () => {
  console.log(`${deviceId} connected`)
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
