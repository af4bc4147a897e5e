// @fails reports-unknown-commands: any value of "led" is taken as the new state, "blink" included
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const deviceId = process.env.DEVICE_ID ?? 'lamp-0000'
const commandsTopic = `home/${deviceId}/commands`
const ledTopic = `home/${deviceId}/led`
const errorsTopic = `home/${deviceId}/errors`

type Led = 'on' | 'off'
let led: Led = 'off'

/** The new state for a command, or why the command is refused. Never throws. */
function interpret(text: string, current: Led): { state: Led } | { error: string } {
  let command: unknown
  try {
    command = JSON.parse(text)
  } catch {
    return { error: 'not JSON' }
  }
  if (typeof command !== 'object' || command === null || Array.isArray(command)) return { error: 'a command is a JSON object, like {"led":"on"}' }
  const keys = Object.keys(command)
  if (keys.length !== 1 || keys[0] !== 'led') return { error: `unknown command: expected exactly the key "led", got ${JSON.stringify(keys)}` }
  const value = (command as { led: unknown }).led
  if (value === 'toggle') return { state: current === 'on' ? 'off' : 'on' }
  return { state: value as Led }
}

const client = mqtt.connect(url, { clientId: deviceId })

client.on('connect', async () => {
  await client.subscribeAsync(commandsTopic, { qos: 1 })
  await client.publishAsync(ledTopic, led, { qos: 1, retain: true })
})

client.on('message', async (_topic, payload) => {
  const text = payload.toString()
  console.log(`command: ${text}`)
  const result = interpret(text, led)
  if ('error' in result) {
    console.log(`refused: ${result.error}`)
    await client.publishAsync(errorsTopic, JSON.stringify({ error: result.error, input: text }), { qos: 1 })
    return
  }
  led = result.state
  await client.publishAsync(ledTopic, led, { qos: 1, retain: true })
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
