import type { IPublishPacket, Packet } from 'mqtt-packet'
import { formatPayload } from '../mqtt/format-payload.ts'
import { describeConnackCode, describeReasonCode } from '../mqtt/reason-codes.ts'
import type { Direction, TraceEvent } from './wire-trace.ts'

/**
 * One line a student can read for one packet, in the vocabulary of the lessons:
 * `PUBLISH topic="home/x/status" qos=1 retain=1 id=3 payload="online"`.
 */
export function formatPacket(packet: Packet, protocolVersion = 4): string {
  switch (packet.cmd) {
    case 'connect': {
      const parts = [
        `CONNECT clientId=${quote(packet.clientId)}`,
        `protocol=${packet.protocolVersion === 5 ? 'MQTT 5' : packet.protocolVersion === 3 ? 'MQTT 3.1' : 'MQTT 3.1.1'}`,
        `keepalive=${packet.keepalive}`,
        `clean=${packet.clean}`,
      ]
      if (packet.username !== undefined) parts.push(`username=${quote(packet.username)}`)
      if (packet.password !== undefined) parts.push('password=***')
      if (packet.will) {
        const will = packet.will
        parts.push(
          `will={topic=${quote(will.topic)} payload=${formatPayload(will.payload)} qos=${will.qos} retain=${will.retain ? 1 : 0}}`,
        )
      } else parts.push('will=none')
      return parts.join(' ')
    }
    case 'connack': {
      const code = packet.reasonCode ?? packet.returnCode ?? 0
      return `CONNACK ${packet.reasonCode !== undefined ? 'reason' : 'rc'}=${describeConnackCode(code, protocolVersion)} sessionPresent=${packet.sessionPresent}`
    }
    case 'publish': {
      const id = packet.qos > 0 ? ` id=${packet.messageId}` : ''
      return `PUBLISH topic=${quote(packet.topic)} qos=${packet.qos} retain=${packet.retain ? 1 : 0} dup=${packet.dup ? 1 : 0}${id} payload=${formatPayload(packet.payload)}${formatPublishProperties(packet.properties)}`
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp': {
      const reason =
        packet.reasonCode !== undefined && protocolVersion === 5
          ? ` reason=${describeReasonCode(packet.reasonCode, 5, packet.cmd)}`
          : ''
      return `${packet.cmd.toUpperCase()} id=${packet.messageId}${reason}`
    }
    case 'subscribe':
      return `SUBSCRIBE id=${packet.messageId} ${packet.subscriptions.map((s) => `${quote(s.topic)} qos=${s.qos}`).join(', ')}`
    case 'suback':
      return `SUBACK id=${packet.messageId} granted=[${packet.granted.map((code) => describeReasonCode(typeof code === 'number' ? code : (code as { qos: number }).qos, protocolVersion, 'suback')).join(', ')}]`
    case 'unsubscribe':
      return `UNSUBSCRIBE id=${packet.messageId} ${packet.unsubscriptions.map(quote).join(', ')}`
    case 'unsuback':
      return `UNSUBACK id=${packet.messageId}`
    case 'pingreq':
      return 'PINGREQ'
    case 'pingresp':
      return 'PINGRESP'
    case 'disconnect': {
      const reason =
        packet.reasonCode !== undefined && protocolVersion === 5
          ? ` reason=${describeReasonCode(packet.reasonCode, 5, 'disconnect')}`
          : ''
      return `DISCONNECT${reason}`
    }
    case 'auth':
      return 'AUTH'
    default:
      return (packet as { cmd: string }).cmd.toUpperCase()
  }
}

/**
 * The MQTT 5 properties of a PUBLISH that checks talk about [MQTT 5.0 3.3.2.3], in the words of the lesson:
 * ` responseTopic="a/b" correlationData=<ff 01> user={"trace-id":"7f"} expiry=30s`. Nothing for MQTT 3.1.1.
 */
function formatPublishProperties(properties: IPublishPacket['properties']): string {
  if (!properties) return ''
  const parts: string[] = []
  if (properties.topicAlias !== undefined) parts.push(`topicAlias=${properties.topicAlias}`)
  if (properties.responseTopic !== undefined) parts.push(`responseTopic=${quote(properties.responseTopic)}`)
  if (properties.correlationData !== undefined) {
    const bytes = Buffer.from(properties.correlationData)
    parts.push(
      `correlationData=<${bytes.subarray(0, 24).toString('hex').replace(/(..)/g, '$1 ').trim()}${bytes.length > 24 ? ' ...' : ''}>`,
    )
  }
  if (properties.userProperties !== undefined) parts.push(`user=${JSON.stringify(properties.userProperties)}`)
  if (properties.messageExpiryInterval !== undefined) parts.push(`expiry=${properties.messageExpiryInterval}s`)
  if (properties.contentType !== undefined) parts.push(`contentType=${quote(properties.contentType)}`)
  if (properties.payloadFormatIndicator !== undefined)
    parts.push(`payloadFormat=${properties.payloadFormatIndicator ? 'utf-8' : 'bytes'}`)
  return parts.length > 0 ? ` ${parts.join(' ')}` : ''
}

function quote(text: string): string {
  return JSON.stringify(text)
}

/** Names for the two ends of a tap, from the point of view of whoever reads the trace. */
export interface PeerNames {
  client: string
  broker: string
}

export const studentPeers: PeerNames = { client: 'you', broker: 'broker' }

export function arrow(direction: Direction, peers: PeerNames): string {
  return direction === 'to-broker' ? `${peers.client} → ${peers.broker}` : `${peers.broker} → ${peers.client}`
}

/** One trace line: `+0.412s  #1 you → broker  PUBLISH ...`. */
export function formatTraceEvent(event: TraceEvent, peers: PeerNames = studentPeers): string {
  const time = `+${(event.atMs / 1000).toFixed(3)}s`
  const connection = `#${event.connection}`
  switch (event.kind) {
    case 'packet': {
      const note = event.isInjected ? ' (injected by the grader)' : event.isSwallowed ? ' (not forwarded)' : ''
      return `${time}  ${connection} ${arrow(event.direction, peers)}  ${formatPacket(event.packet, event.protocolVersion)}${note}`
    }
    case 'connection':
      if (event.state === 'opened')
        return `${time}  ${connection} connection opened${event.transport ? ` (${event.transport}://)` : ''}`
      return `${time}  ${connection} connection closed by ${event.closedBy === 'client' ? peers.client : event.closedBy === 'broker' ? 'the broker' : 'the grader'}${event.detail ? ` (${event.detail})` : ''}`
    case 'decode-error':
      return `${time}  ${connection} ${arrow(event.direction, peers)}  undecodable packet: ${event.message}\n${formatBytesWithCaret(event.bytes)}`
  }
}

/** Raw bytes with a caret under the first one, CodeCrafters style, for packets that could not be decoded. */
export function formatBytesWithCaret(bytes: Buffer, index = 0): string {
  const shown = bytes.subarray(0, 32)
  const hexBytes = [...shown].map((byte) => byte.toString(16).padStart(2, '0'))
  const line = `    ${hexBytes.join(' ')}${bytes.length > shown.length ? ' ...' : ''}`
  const caret = `    ${' '.repeat(index * 3)}^`
  return `${line}\n${caret}`
}

/**
 * A payload quoted for a sentence: '{"led": "on"}' reads better than "{\"led\": \"on\"}". Falls back to
 * JSON quoting when the text itself holds a single quote or a control character.
 */
export function quoteText(text: string): string {
  return /['\u0000-\u001f]/.test(text) ? JSON.stringify(text) : `'${text}'`
}
