// Exercise 2: topic wildcards. Read README.md first; grade with: npm run grade -- ex2
import mqtt from 'mqtt'
import { topicMatches } from './topic-matches.ts'

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883'
const clientId = process.env.CLIENT_ID ?? 'student-0000'
const prefix = process.env.TOPIC_PREFIX ?? 'course/wildcards'
// The subscriptions to make in part (b), separated by commas: "course/x/data/+/temp,course/x/data/garage/#".
const filters = (process.env.FILTERS ?? `${prefix}/data/#`).split(',')

const requests = `${prefix}/match/request`
const responses = `${prefix}/match/response`
const forwarded = `${prefix}/forwarded`

const client = mqtt.connect(url, { clientId })

client.on('connect', async () => {
  // TODO: Part (a): subscribe to `requests` (QoS 1): the grader asks your topicMatches() questions there, and the
  //       message handler below answers them with your function.
  // TODO: Part (b): subscribe to every filter in `filters`, as they are: the broker does the matching.
  console.log(`ready: answering on ${responses}`)
})

client.on('message', (topic, payload) => {
  if (topic === requests) {
    // A question: { "id": 7, "filter": "home/+/temp", "topic": "home/kitchen/temp" }. Answered for you.
    const { id, filter, topic: asked } = JSON.parse(payload.toString()) as { id: number; filter: string; topic: string }
    client.publish(responses, JSON.stringify({ id, matches: topicMatches(filter, asked) }), { qos: 1 })
    return
  }
  // TODO: Part (b): every other message came through one of your subscriptions. Publish its topic (as the
  //       payload, just the topic text) to `forwarded`, so the grader can see which messages reached you.
})

client.on('error', (error) => console.error(`MQTT error: ${error.message}`))
