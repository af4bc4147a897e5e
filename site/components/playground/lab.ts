/// <reference lib="dom" />
import { Buffer } from 'buffer'
import mqtt from 'mqtt'
import { parseBrokerChoice } from './broker-choice.ts'
import { ClientCard, type LabConnector } from './client-card.ts'
import { field } from './element.ts'
import type { InPageBroker } from './in-page-broker.ts'
import type { Scenario } from './scenarios.ts'

// The grader's packet formatter uses Node's global Buffer: the built site injects it where it is used (see
// astro.config.mjs), `astro dev` does not. The same package either way.
globalThis.Buffer ??= Buffer

/** The broker in this page, started by the first client that needs it and shared by every Playground on it. */
let inPageBroker: Promise<InPageBroker> | undefined

/**
 * Turns a Playground's server-rendered shell into the lab: one card per client of the lesson's scenario, the
 * scenario's clients connected and subscribed, and a form to add more. Loaded on first use only: the broker
 * and MQTT.js weigh more than everything else on a lesson page.
 */
export async function startLab(root: HTMLElement, scenario: Scenario): Promise<void> {
  const clientsArea = root.querySelector<HTMLElement>('[data-clients]')!
  const brokerForm = root.querySelector<HTMLFormElement>('[data-broker]')!
  const connector: LabConnector = {
    startedAt: performance.now(),
    async open(connectOptions) {
      // Connected by the card once it listens, so that its packet log starts with the CONNECT.
      const options = { ...connectOptions, manualConnect: true }
      const choice = parseBrokerChoice(readBrokerField(brokerForm))
      if ('problem' in choice) return choice
      if (choice.kind === 'in-page') {
        // Loaded apart: `astro dev` has no Node polyfills (astro.config.mjs), and WebSocket brokers work without.
        inPageBroker ??= import('./in-page-broker.ts').then(({ startInPageBroker }) => startInPageBroker())
        const broker = await inPageBroker.catch((error: Error) => error)
        if (broker instanceof Error) {
          inPageBroker = undefined
          return {
            problem: `The broker in this page could not start (${broker.message}). It runs in the built site (npm run build, then npm run preview); with npm run dev, start npm run broker and choose ws://localhost:8080.`,
          }
        }
        const pair = broker.openConnection()
        return {
          client: new mqtt.MqttClient(() => pair.client as never, options),
          pair,
          brokerName: 'the broker in this page',
        }
      }
      return { client: mqtt.connect(choice.url, options), brokerName: choice.url }
    },
  }
  const cards = new Set<ClientCard>()
  const add = (preset: Scenario['clients'][number]) => {
    const card = new ClientCard(preset, connector, (removed) => {
      cards.delete(removed)
      removed.element.remove()
    })
    cards.add(card)
    clientsArea.append(card.element)
    return card
  }
  clientsArea.replaceChildren()
  // One after the other: the packet logs then read in the order the scenario describes.
  for (const preset of scenario.clients) {
    const card = add(preset)
    if (!preset.startsOffline) await card.connect(preset.subscriptions)
  }

  const addForm = root.querySelector<HTMLFormElement>('[data-add-client]')!
  addForm.hidden = false
  addForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const input = field(addForm, 'name')
    const name = input.value.trim() || `client-${cards.size + 1}`
    if ([...cards].some((card) => card.name === name)) {
      input.setCustomValidity(`There is already a client named ${name}.`)
      input.reportValidity()
      return
    }
    input.setCustomValidity('')
    input.value = ''
    add({ name }).element.querySelector<HTMLButtonElement>('[data-action="connect"]')!.focus()
  })
}

/** The selected broker: "in-page", or the URL of the chosen or typed WebSocket broker. */
export function readBrokerField(form: HTMLFormElement): string {
  const selected = field(form, 'broker').value
  return selected === 'url' ? field(form, 'brokerUrl').value : selected
}
