// Exercise 5: Last Will and Testament. Read README.md first; grade with: npm run grade -- ex5
import mqtt from 'mqtt'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const deviceId = process.env.DEVICE_ID ?? 'sensor-0000'
const statusTopic = process.env.STATUS_TOPIC ?? `acme/site-1/${deviceId}/status`

// TODO: Give the broker a will when you connect: { topic: statusTopic, payload: 'offline', qos: 1, retain: true }.
//       The broker keeps it and publishes it for you if your connection dies without a DISCONNECT
//       (power loss, crash, network gone). It can only be set here, in the CONNECT.
const client = mqtt.connect(url, { clientId: deviceId })

client.on('connect', () => {
  console.log(`${deviceId} connected`)
  // TODO: Announce that the device is up: publish 'online' to statusTopic, retained, QoS 1.
  //       This runs again after every reconnect, which is what you want.
})

// TODO: Say goodbye when stopped: on SIGTERM (and SIGINT, for Ctrl-C), publish 'offline' retained,
//       wait until it is sent (publishAsync), close the connection cleanly (endAsync), then exit with code 0.
//       A clean DISCONNECT tells the broker to throw the will away.

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
