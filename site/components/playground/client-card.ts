/// <reference lib="dom" />
import type { IClientOptions, MqttClient } from 'mqtt'
import type { Packet } from 'mqtt-packet'
import { validateTopicFilter, validateTopicName } from '../../../grader/mqtt/topic-filter.ts'
import { formatTraceEvent } from '../../../grader/wiretap/format-packet.ts'
import { formatPayload } from '../../../grader/mqtt/format-payload.ts'
import type { Direction } from '../../../grader/wiretap/wire-trace.ts'
import type { DuplexPair } from './duplex-pair.ts'
import { buildClientCard } from './client-card-view.ts'
import { element, field } from './element.ts'
import type { ClientPreset } from './scenarios.ts'

/** What a client card needs from its lab: where to connect, and the clock all packet logs share. */
export interface LabConnector {
  /**
   * A client for the broker the student chose, not yet connected (the card calls `connect()` once it listens),
   * or why that choice cannot work in a browser.
   */
  open(
    options: IClientOptions,
  ): Promise<{ client: MqttClient; pair?: DuplexPair; brokerName: string } | { problem: string }>
  readonly startedAt: number
}

const maxLines = 200
type Qos = 0 | 1 | 2

/**
 * One named client of the lab: its connection options and will, Connect / Disconnect cleanly / Power cut /
 * Freeze, its subscriptions (with Unsubscribe), what it received, and every packet it sent or received, in the
 * grader's own trace format.
 */
export class ClientCard {
  readonly element: HTMLElement
  readonly name: string
  #client: MqttClient | undefined
  #pair: DuplexPair | undefined
  #connection = 0
  /** Between the CONNACK and the end of the connection. */
  #isConnected = false
  #seq = 0
  readonly #subscriptions = new Map<string, Qos>()
  readonly #lab: LabConnector
  readonly #ui: ReturnType<typeof buildClientCard>
  /** Armed by "Drop the next PUBACK": the next PUBACK this client would send is not sent. */
  #dropNextPuback = false
  /** QoS 1 and 2 messages received and not acknowledged yet, by packet id: a PUBLISH with one of these ids is a re-send. */
  readonly #unacknowledged = new Set<number>()

  constructor(preset: ClientPreset, lab: LabConnector, onRemove: (card: ClientCard) => void) {
    this.name = preset.name
    this.#lab = lab
    this.#ui = buildClientCard(preset)
    this.element = this.#ui.root
    const { buttons, subscribeForm, publishForm } = this.#ui
    buttons.connect.addEventListener('click', () => void this.connect())
    buttons.disconnect.addEventListener('click', () => this.disconnect())
    buttons.powerCut.addEventListener('click', () => this.powerCut())
    buttons.freeze.addEventListener('click', () => this.toggleFreeze())
    buttons.dropPuback.addEventListener('click', () => {
      this.#dropNextPuback = !this.#dropNextPuback
      this.#say(
        this.#dropNextPuback
          ? 'The next QoS 1 message this client receives gets no PUBACK: the broker keeps it in flight and re-sends it when this client reconnects with its session kept (clean session off).'
          : 'PUBACKs are sent again as usual.',
      )
      this.#render()
    })
    buttons.remove.addEventListener('click', () => {
      this.powerCut()
      onRemove(this)
    })
    subscribeForm.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.subscribe(field(subscribeForm, 'filter').value.trim(), Number(field(subscribeForm, 'qos').value) as Qos)
    })
    publishForm.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.publish(
        field(publishForm, 'topic').value.trim(),
        field(publishForm, 'payload').value,
        Number(field(publishForm, 'qos').value) as Qos,
        (field(publishForm, 'retain') as HTMLInputElement).checked,
      )
    })
    this.#render()
  }

  async connect(subscriptions: ClientPreset['subscriptions'] = []): Promise<void> {
    this.#drop()
    const { options } = this.#ui
    const willTopic = field(options, 'willTopic').value.trim()
    const clean = (field(options, 'clean') as HTMLInputElement).checked
    const clientOptions: IClientOptions = {
      clientId: field(options, 'clientId').value.trim() || this.name,
      keepalive: Number(field(options, 'keepalive').value) || 0,
      clean,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(willTopic
        ? {
            will: {
              topic: willTopic,
              payload: field(options, 'willPayload').value,
              qos: Number(field(options, 'willQos').value) as Qos,
              retain: (field(options, 'willRetain') as HTMLInputElement).checked,
            },
          }
        : {}),
    }
    if (willTopic && validateTopicName(willTopic))
      return this.#say(`Not connected: the will topic is not a topic name (${validateTopicName(willTopic)}).`, 'error')
    this.#say('Connecting ...')
    const opened = await this.#lab.open(clientOptions)
    if ('problem' in opened) return this.#say(opened.problem, 'error')
    const { client, pair, brokerName } = opened
    this.#client = client
    this.#pair = pair
    const connection = ++this.#connection
    if (clean) {
      this.#subscriptions.clear()
      this.#unacknowledged.clear()
    }
    let wasConnected = false
    let closedBy: 'client' | 'broker' = 'broker'
    client.on('packetsend', (packet) => {
      if (packet.cmd === 'disconnect') closedBy = 'client'
      if ((packet.cmd === 'puback' || packet.cmd === 'pubrec') && packet.messageId !== undefined)
        this.#unacknowledged.delete(packet.messageId)
      this.#logPacket(connection, 'to-broker', packet as Packet)
    })
    client.on('packetreceive', (packet) => {
      this.#logPacket(connection, 'to-client', packet as Packet)
      if (packet.cmd === 'publish' && packet.qos > 0 && packet.messageId !== undefined)
        this.#noteRedelivery(connection, packet.messageId, packet.dup)
    })
    // "Drop the next PUBACK": MQTT.js acknowledges a QoS 1 message by itself, through its (internal) _sendPacket;
    // the lab skips that one packet and lets MQTT.js go on, as a device that crashed before acknowledging.
    const sendPacket = (
      client as unknown as { _sendPacket: (packet: Packet, callback?: () => void, ...rest: unknown[]) => void }
    )._sendPacket.bind(client)
    ;(client as unknown as { _sendPacket: typeof sendPacket })._sendPacket = (packet, callback, ...rest) => {
      if (packet.cmd === 'puback' && this.#dropNextPuback) {
        this.#dropNextPuback = false
        this.#log(
          connection,
          `PUBACK for packet id ${packet.messageId} not sent (Drop the next PUBACK): the broker keeps the message in flight`,
        )
        this.#render()
        callback?.()
        return
      }
      sendPacket(packet, callback, ...rest)
    }
    client.on('connect', (connack) => {
      wasConnected = true
      this.#isConnected = true
      this.#say(
        `Connected to ${brokerName} as ${clientOptions.clientId}${connack.sessionPresent ? ' (session present: the broker kept your subscriptions and queued messages)' : ''}.`,
        'ok',
      )
      this.#render()
      for (const subscription of subscriptions ?? []) void this.subscribe(subscription.filter, subscription.qos)
    })
    client.on('message', (topic, payload, packet) =>
      this.#addMessage(topic, payload, packet.retain, packet.qos, packet.dup),
    )
    client.on('error', (error) => {
      if (this.#client === client)
        this.#say(
          wasConnected
            ? `Error: ${error.message}`
            : `${brokerName === 'the broker in this page' ? 'Could not connect' : `No MQTT broker answered at ${brokerName}`}: ${error.message}. Start one with "npm run broker" (WebSockets on port 8080), or choose "In this page".`,
          'error',
        )
    })
    client.on('close', () => {
      if (this.#client !== client) return
      this.#log(connection, `connection closed by ${closedBy === 'client' ? this.name : 'the broker'}`)
      if (!wasConnected)
        this.#say(
          `No MQTT broker answered at ${brokerName}. Start one with "npm run broker" (WebSockets on port 8080), or choose "In this page (no setup)".`,
          'error',
        )
      else if (closedBy === 'broker')
        this.#say(
          'The broker closed the connection (keepalive timeout, or another client took this client id over).',
          'error',
        )
      this.#client = undefined
      this.#pair = undefined
      this.#isConnected = false
      this.#render()
    })
    this.#isConnected = false
    this.#log(connection, `connection opened to ${brokerName}`)
    client.connect()
    this.#render()
  }

  /** Sends DISCONNECT, then closes: the broker discards the will. */
  disconnect(): void {
    const client = this.#client
    if (!client) return
    this.#pair?.thaw()
    client.end(false, {}, () => this.#say('Disconnected cleanly: DISCONNECT sent, so the broker discarded the will.'))
  }

  /** The connection dies without DISCONNECT, as when a device loses power: the broker publishes the will. */
  powerCut(): void {
    const client = this.#client
    if (!client) return
    this.#log(this.#connection, 'power cut: the connection is gone, no DISCONNECT was sent')
    this.#isConnected = false
    this.#client = undefined
    this.#pair = undefined
    client.end(true)
    this.#say('Power cut: no DISCONNECT, so the broker publishes the will (if any).')
    this.#render()
  }

  /** Like Ctrl-Z on a device's process: the connection stays open, no packet moves either way. */
  toggleFreeze(): void {
    const pair = this.#pair
    if (!pair) return
    // A stopped process runs no timers either: MQTT.js's keepalive (its PINGREQ, its own timeout) stops too.
    if (pair.isFrozen) {
      pair.thaw()
      this.#client?.keepaliveManager?.reschedule()
      this.#say('Resumed.')
    } else {
      pair.freeze()
      // clear() is private in MQTT.js's types, but it is the pause that reschedule() undoes.
      ;(this.#client?.keepaliveManager as unknown as { clear(): void } | undefined)?.clear()
      const keepaliveS = Number(field(this.#ui.options, 'keepalive').value) || 0
      this.#log(this.#connection, 'frozen: nothing is sent or received until Resume')
      this.#say(
        keepaliveS > 0
          ? `Frozen. The broker gives up after 1.5 × keepalive = ${keepaliveS * 1.5} s without a packet, then publishes the will.`
          : 'Frozen. Keepalive is 0: the broker never gives up on this connection.',
      )
    }
    this.#render()
  }

  async subscribe(filter: string, qos: Qos): Promise<void> {
    const client = this.#client
    if (!client) return
    const problem = validateTopicFilter(filter)
    if (problem) return this.#say(`Not subscribed: ${problem}.`, 'error')
    try {
      const granted = await client.subscribeAsync(filter, { qos })
      const code = granted[0]?.qos ?? 128
      if (code === 128) return this.#say(`The broker refused the subscription to ${filter}.`, 'error')
      this.#subscriptions.set(filter, code as Qos)
      this.#render()
    } catch (error) {
      this.#say(`Could not subscribe to ${filter}: ${(error as Error).message}`, 'error')
    }
  }

  async unsubscribe(filter: string): Promise<void> {
    await this.#client
      ?.unsubscribeAsync(filter)
      .catch((error: Error) => this.#say(`Could not unsubscribe: ${error.message}`, 'error'))
    this.#subscriptions.delete(filter)
    this.#render()
  }

  async publish(topic: string, payload: string, qos: Qos, retain: boolean): Promise<void> {
    const client = this.#client
    if (!client) return
    // The broker would close the connection on a wildcard topic (MQTT-3.3.2-2): say why before anything is sent.
    const problem = validateTopicName(topic)
    if (problem)
      return this.#say(`Not sent: ${problem}. Wildcards are for subscriptions; publish to one concrete topic.`, 'error')
    try {
      await client.publishAsync(topic, payload, { qos, retain })
      if (retain && payload === '')
        this.#say(`Cleared the retained message of ${topic} (an empty retained message deletes it).`, 'ok')
      else this.#say(`Published ${formatPayload(payload)} to ${topic}${retain ? ', retained' : ''}.`, 'ok')
    } catch (error) {
      this.#say(`Could not publish to ${topic}: ${(error as Error).message}`, 'error')
    }
  }

  #drop(): void {
    this.#isConnected = false
    const client = this.#client
    this.#client = undefined
    this.#pair = undefined
    client?.end(true)
  }

  #addMessage(topic: string, payload: Uint8Array, retain: boolean, qos: number, dup: boolean): void {
    const text = new TextDecoder().decode(payload)
    const item = element('li', {}, [
      element('code', {}, [topic]),
      '  ',
      payload.length === 0 ? element('em', {}, ['(empty)']) : text,
    ])
    const notes = [retain ? 'retained' : '', `qos ${qos}`, dup ? 'dup' : ''].filter(Boolean).join(', ')
    item.append(element('span', { className: 'note' }, [`  (${notes})`]))
    this.#ui.messages.prepend(item)
    trim(this.#ui.messages)
  }

  /**
   * A QoS 1 or 2 PUBLISH whose packet id is still unacknowledged here is a re-send, which the specification says
   * must carry DUP=1 [MQTT-3.3.1-1]. aedes, the broker in this page, never sets it: the log says so, rather than
   * let dup=0 pass for the truth.
   */
  #noteRedelivery(connection: number, messageId: number, dup: boolean): void {
    if (!this.#unacknowledged.has(messageId)) {
      this.#unacknowledged.add(messageId)
      return
    }
    this.#log(
      connection,
      dup
        ? `packet id ${messageId} again, with dup=1: a re-send of a message this client never acknowledged`
        : `packet id ${messageId} again: a re-send of a message this client never acknowledged. The specification requires dup=1 on it [MQTT-3.3.1-1]; aedes, the broker in this page, never sets DUP, so it shows dup=0 (Mosquitto sets it)`,
    )
  }

  #logPacket(connection: number, direction: Direction, packet: Packet): void {
    const event = {
      kind: 'packet',
      seq: ++this.#seq,
      atMs: performance.now() - this.#lab.startedAt,
      connection,
      direction,
      packet,
      protocolVersion: 4,
    } as const
    this.#append(formatTraceEvent(event, { client: this.name, broker: 'broker' }))
  }

  #log(connection: number, text: string): void {
    this.#append(`+${((performance.now() - this.#lab.startedAt) / 1000).toFixed(3)}s  #${connection} ${text}`)
  }

  #append(line: string): void {
    this.#ui.packets.append(element('li', {}, [line]))
    while (this.#ui.packets.children.length > maxLines) this.#ui.packets.firstElementChild?.remove()
    this.#ui.packets.scrollTop = this.#ui.packets.scrollHeight
  }

  #say(text: string, kind: 'ok' | 'error' | 'info' = 'info'): void {
    this.#ui.status.textContent = text
    this.#ui.status.dataset.kind = kind
  }

  #render(): void {
    const { buttons, subscribeForm, publishForm, subscriptions, state } = this.#ui
    const isOpen = this.#client !== undefined
    const isFrozen = this.#pair?.isFrozen === true
    // One connection at a time: options and will changes apply at the next Connect, after a disconnect.
    buttons.connect.disabled = isOpen
    buttons.disconnect.disabled = !isOpen
    buttons.powerCut.disabled = !isOpen
    // Freezing needs the in-page connection: a WebSocket to another broker cannot be held from here.
    buttons.freeze.disabled = !isOpen || !this.#pair
    buttons.freeze.textContent = isFrozen ? 'Resume' : 'Freeze (Ctrl-Z)'
    buttons.dropPuback.setAttribute('aria-pressed', String(this.#dropNextPuback))
    for (const form of [subscribeForm, publishForm])
      (form.querySelector('fieldset') as HTMLFieldSetElement).disabled = !isOpen || isFrozen
    state.textContent = !isOpen ? 'offline' : isFrozen ? 'frozen' : this.#isConnected ? 'online' : 'connecting'
    state.dataset.state = state.textContent
    subscriptions.replaceChildren(
      ...[...this.#subscriptions].map(([filter, qos]) => {
        const button = element('button', { type: 'button', disabled: !isOpen }, ['Unsubscribe'])
        button.setAttribute('aria-label', `Unsubscribe from ${filter}`)
        button.addEventListener('click', () => void this.unsubscribe(filter))
        return element('li', {}, [element('code', {}, [filter]), ` qos ${qos} `, button])
      }),
    )
    if (this.#subscriptions.size === 0) subscriptions.append(element('li', { className: 'note' }, ['No subscription.']))
  }
}

function trim(list: HTMLElement): void {
  while (list.children.length > maxLines) list.lastElementChild?.remove()
}
