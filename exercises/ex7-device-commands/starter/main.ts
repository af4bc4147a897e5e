// Exercise 7: device commands. Read README.md first; grade with: npm run grade -- ex7
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const deviceId = process.env.DEVICE_ID ?? 'lamp-0000'
const commandsTopic = `home/${deviceId}/commands`
const ledTopic = `home/${deviceId}/led`
const errorsTopic = `home/${deviceId}/errors`

let led: 'on' | 'off' = 'off'

const client = mqtt.connect(url, { clientId: deviceId })

client.on('connect', async () => {
  await client.subscribeAsync(commandsTopic, { qos: 1 })
  // TODO: Announce the LED's state: publish `led` on ledTopic at QoS 1, retained, so that a dashboard that opens
  //       later learns it at once.
})

client.on('message', async (_topic, payload) => {
  const text = payload.toString()
  console.log(`command: ${text}`)
  // TODO: JSON.parse throws on malformed input, and an exception here crashes the whole device.
  //       Catch it and publish {"error": "...", "input": text} to errorsTopic instead.
  const command = JSON.parse(text)
  // TODO: Accept only {"led": "on"}, {"led": "off"} and {"led": "toggle"} ("toggle" flips the state).
  //       Anything else, even valid JSON, is an unknown command: report it on errorsTopic the same way.
  led = command.led
  // TODO: Publish the new state, retained, on ledTopic (only after a valid command).
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
