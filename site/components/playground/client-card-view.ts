/// <reference lib="dom" />
import { element } from './element.ts'
import type { ClientPreset } from './scenarios.ts'

type Qos = 0 | 1 | 2

let cardCount = 0

/** A client card's markup: options and will, buttons, forms, subscriptions, messages and packet log. */
export function buildClientCard(preset: ClientPreset) {
  const id = `pg-${++cardCount}-${preset.name.replace(/[^\w-]/g, '')}`
  const label = (name: string, text: string, input: HTMLElement) => {
    input.id = `${id}-${name}`
    ;(input as HTMLInputElement).name = name
    return [element('label', { htmlFor: input.id }, [text]), input]
  }
  const text = (value = '', placeholder = '') =>
    element('input', { type: 'text', value, placeholder, spellcheck: false })
  const qosSelect = (value: Qos) =>
    element(
      'select',
      {},
      [0, 1, 2].map((q) => element('option', { value: String(q), selected: q === value }, [String(q)])),
    )
  const checkbox = (name: string, text: string, checked: boolean) =>
    element('label', { className: 'inline' }, [element('input', { type: 'checkbox', name, checked }), ` ${text}`])
  const will = preset.will
  const options = element('details', { className: 'options' }, [
    element('summary', {}, ['Connection options and will']),
    element('div', { className: 'grid' }, [
      element('p', { className: 'note' }, ['They apply at the next Connect.']),
      ...label('clientId', 'Client id', text('', preset.name)),
      ...label(
        'keepalive',
        'Keepalive (s)',
        element('input', { type: 'number', min: '0', max: '65535', value: String(preset.keepaliveS ?? 60) }),
      ),
      checkbox('clean', 'clean session (off: the broker keeps the session while offline)', preset.clean ?? true),
      ...label('willTopic', 'Will topic (empty: no will)', text(will?.topic ?? '')),
      ...label('willPayload', 'Will payload', text(will?.payload ?? 'offline')),
      ...label('willQos', 'Will QoS', qosSelect(will?.qos ?? 1)),
      checkbox('willRetain', 'will retained', will?.retain ?? true),
    ]),
  ])
  const button = (text: string, action: string) => element('button', { type: 'button', dataset: { action } }, [text])
  const buttons = {
    connect: button('Connect', 'connect'),
    disconnect: button('Disconnect cleanly', 'disconnect'),
    powerCut: button('Power cut', 'power-cut'),
    freeze: button('Freeze (Ctrl-Z)', 'freeze'),
    dropPuback: button('Drop the next PUBACK', 'drop-puback'),
    remove: button('Remove', 'remove'),
  }
  const publish = preset.publish ?? { topic: `home/${preset.name}/status`, payload: 'online', qos: 1, retain: false }
  const subscribeForm = element('form', { dataset: { subscribe: '' } }, [
    element('fieldset', {}, [
      element('legend', {}, ['Subscribe']),
      ...label('filter', 'Topic filter', text(preset.filter ?? preset.subscriptions?.[0]?.filter ?? '#')),
      ...label('qos', 'QoS', qosSelect(1)),
      element('div', { className: 'buttons' }, [element('button', { type: 'submit' }, ['Subscribe'])]),
    ]),
  ])
  const publishForm = element('form', { dataset: { publish: '' } }, [
    element('fieldset', {}, [
      element('legend', {}, ['Publish']),
      ...label('topic', 'Topic', text(publish.topic)),
      ...label('payload', 'Payload (empty + retained: clears the retained message)', text(publish.payload)),
      ...label('qos', 'QoS', qosSelect(publish.qos)),
      checkbox('retain', 'retained', publish.retain),
      element('div', { className: 'buttons' }, [element('button', { type: 'submit' }, ['Publish'])]),
    ]),
  ])
  const state = element('span', { className: 'state' }, ['offline'])
  const status = element('p', { className: 'status', role: 'status' }, ['Not connected.'])
  const subscriptions = element('ul', { className: 'subscriptions', dataset: { subscriptions: '' } })
  const messages = element('ol', { className: 'messages', dataset: { messages: '' } })
  const packets = element('ol', { className: 'packets', dataset: { packets: '' }, tabIndex: 0 })
  packets.setAttribute('aria-label', `Packets of ${preset.name}`)
  const root = element('section', { className: 'client', dataset: { client: preset.name } }, [
    element('h3', {}, [preset.name, ' ', state]),
    options,
    element('div', { className: 'buttons' }, Object.values(buttons)),
    status,
    element('div', { className: 'forms' }, [subscribeForm, publishForm]),
    element('h4', {}, ['Subscriptions']),
    subscriptions,
    element('h4', {}, ['Messages received']),
    messages,
    element('h4', {}, ['Packets, as a grading trace shows them']),
    packets,
  ])
  root.setAttribute('aria-label', `Client ${preset.name}`)
  return { root, options, buttons, subscribeForm, publishForm, state, status, subscriptions, messages, packets }
}
