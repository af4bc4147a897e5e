// Exercise 6: sensor telemetry. Reference solution.
import mqtt from 'mqtt'
import { setTimeout as delay } from 'node:timers/promises'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const org = process.env.ORG ?? 'acme'
const site = process.env.SITE ?? 'plant-1'
const deviceId = process.env.DEVICE_ID ?? 'sensor-0000'
const count = Number(process.env.COUNT ?? 5)
const intervalMs = Number(process.env.INTERVAL_MS ?? 1000)

const statusTopic = `${org}/${site}/${deviceId}/status`
const telemetryTopic = `${org}/${site}/${deviceId}/telemetry`

const client = mqtt.connect(url, {
  clientId: deviceId,
  will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
})

/** A simulated sensor: a temperature in °C that drifts, a relative humidity in %. */
let temp = 18 + Math.random() * 6
function measure(): { temp: number; hum: number } {
  temp = Math.min(50, Math.max(-20, temp + (Math.random() - 0.5)))
  return { temp: Math.round(temp * 10) / 10, hum: Math.round(30 + Math.random() * 40) }
}

client.once('connect', async () => {
  await client.publishAsync(statusTopic, 'online', { qos: 1, retain: true })
  for (let seq = 1; seq <= count; seq++) {
    const { temp, hum } = measure()
    await client.publishAsync(telemetryTopic, JSON.stringify({ device: deviceId, temp, hum, seq }), { qos: 1 })
    console.log(`reading ${seq}: ${temp} °C, ${hum} %`)
    // The sensor's own reporting pace (INTERVAL_MS, checked by respects-interval), not a wait for an event.
    if (seq < count) await delay(intervalMs)
  }
  await client.publishAsync(statusTopic, 'offline', { qos: 1, retain: true })
  await client.endAsync()
  process.exit(0)
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
