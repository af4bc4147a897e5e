// Exercise 2: topic wildcards. Reference solution.
import mqtt from 'mqtt'
import { topicMatches } from './topic-matches.ts'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'student-0000'
const prefix = process.env.TOPIC_PREFIX ?? 'course/wildcards'
const filters = (process.env.FILTERS ?? `${prefix}/data/#`).split(',')

const requests = `${prefix}/match/request`
const responses = `${prefix}/match/response`
const forwarded = `${prefix}/forwarded`

const client = mqtt.connect(url, { clientId })

client.on('connect', async () => {
  await client.subscribeAsync(requests, { qos: 1 })
  await client.subscribeAsync(filters, { qos: 1 })
  console.log(`ready: answering on ${responses}, subscribed to ${filters.join(', ')}`)
})

client.on('message', (topic, payload) => {
  if (topic === requests) {
    const { id, filter, topic: asked } = JSON.parse(payload.toString()) as { id: number; filter: string; topic: string }
    client.publish(responses, JSON.stringify({ id, matches: topicMatches(filter, asked) }), { qos: 1 })
    return
  }
  client.publish(forwarded, topic, { qos: 1 })
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
