// Exercise 6: sensor telemetry. Read README.md first; grade with: npm run grade -- ex6
// (Any language works: npm run grade -- ex6 --dir my-python-sensor --cmd "python3 main.py")
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const org = process.env.ORG ?? 'acme'
const site = process.env.SITE ?? 'plant-1'
const deviceId = process.env.DEVICE_ID ?? 'sensor-0000'
const count = Number(process.env.COUNT ?? 5)
const intervalMs = Number(process.env.INTERVAL_MS ?? 1000)

// The topic convention of the course: organisation/site/device-id/metric.
const statusTopic = `${org}/${site}/${deviceId}/status`
// TODO: The readings go to the "telemetry" metric of this device, following the same convention.
const telemetryTopic = `${deviceId}/telemetry`

// TODO: Give the broker a will: "offline", retained, on statusTopic (see exercise 5).
const client = mqtt.connect(url, { clientId: deviceId })

/** A simulated sensor: a temperature in °C that drifts, a relative humidity in %. */
let temp = 18 + Math.random() * 6
function measure(): { temp: number; hum: number } {
  temp = Math.min(50, Math.max(-20, temp + (Math.random() - 0.5)))
  return { temp: Math.round(temp * 10) / 10, hum: Math.round(30 + Math.random() * 40) }
}

client.on('connect', async () => {
  await client.publishAsync(statusTopic, 'online', { qos: 1, retain: true })
  for (let seq = 1; seq <= count; seq++) {
    const { temp, hum } = measure()
    // TODO: Publish { device, temp, hum, seq } as JSON at QoS 1 and wait for it (publishAsync).
    console.log(`reading ${seq}: ${temp} °C, ${hum} %`)
    // TODO: Then wait intervalMs before the next reading.
  }
  // TODO: Say goodbye: "offline", retained, on statusTopic; then endAsync() and exit with code 0.
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
