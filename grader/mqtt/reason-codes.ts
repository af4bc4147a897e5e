/**
 * Reason codes as a name table, so every message can say "0x87 Not authorized" instead of a bare number.
 * MQTT 3.1.1 table 3.1 (CONNACK return codes) and MQTT 5.0 section 2.4 (reason codes).
 */
const connackV3: Record<number, string> = {
  0: 'Connection Accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
}

const reasonV5: Record<number, string> = {
  0x00: 'Success',
  0x01: 'Granted QoS 1',
  0x02: 'Granted QoS 2',
  0x04: 'Disconnect with Will Message',
  0x10: 'No matching subscribers',
  0x11: 'No subscription existed',
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid',
  0x86: 'Bad User Name or Password',
  0x87: 'Not authorized',
  0x88: 'Server unavailable',
  0x89: 'Server busy',
  0x8a: 'Banned',
  0x8b: 'Server shutting down',
  0x8c: 'Bad authentication method',
  0x8d: 'Keep Alive timeout',
  0x8e: 'Session taken over',
  0x8f: 'Topic Filter invalid',
  0x90: 'Topic Name invalid',
  0x91: 'Packet Identifier in use',
  0x92: 'Packet Identifier not found',
  0x93: 'Receive Maximum exceeded',
  0x94: 'Topic Alias invalid',
  0x95: 'Packet too large',
  0x96: 'Message rate too high',
  0x97: 'Quota exceeded',
  0x98: 'Administrative action',
  0x99: 'Payload format invalid',
  0x9a: 'Retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'Use another server',
  0x9d: 'Server moved',
  0x9e: 'Shared Subscriptions not supported',
  0x9f: 'Connection rate exceeded',
  0xa0: 'Maximum connect time',
  0xa1: 'Subscription Identifiers not supported',
  0xa2: 'Wildcard Subscriptions not supported',
}

/** The packets that carry an MQTT 5 reason code, whose tables differ [MQTT 5.0 2.4, table 2-6]. */
export type ReasonPacket =
  | 'connack'
  | 'puback'
  | 'pubrec'
  | 'pubrel'
  | 'pubcomp'
  | 'suback'
  | 'unsuback'
  | 'disconnect'
  | 'auth'

/** Which packets may carry each code, from table 2-6: a code outside its packet's list is named as such. */
const usedIn: Record<number, readonly ReasonPacket[]> = {
  0x00: ['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback', 'disconnect', 'auth'],
  0x01: ['suback'],
  0x02: ['suback'],
  0x04: ['disconnect'],
  0x10: ['puback', 'pubrec'],
  0x11: ['unsuback'],
  0x18: ['auth'],
  0x19: ['auth'],
  0x80: ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'],
  0x81: ['connack', 'disconnect'],
  0x82: ['connack', 'disconnect'],
  0x83: ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'],
  0x84: ['connack'],
  0x85: ['connack'],
  0x86: ['connack'],
  0x87: ['connack', 'puback', 'pubrec', 'suback', 'unsuback', 'disconnect'],
  0x88: ['connack'],
  0x89: ['connack', 'disconnect'],
  0x8a: ['connack'],
  0x8b: ['disconnect'],
  0x8c: ['connack', 'disconnect'],
  0x8d: ['disconnect'],
  0x8e: ['disconnect'],
  0x8f: ['suback', 'unsuback', 'disconnect'],
  0x90: ['connack', 'puback', 'pubrec', 'disconnect'],
  0x91: ['puback', 'pubrec', 'suback', 'unsuback'],
  0x92: ['pubrel', 'pubcomp'],
  0x93: ['disconnect'],
  0x94: ['disconnect'],
  0x95: ['connack', 'disconnect'],
  0x96: ['disconnect'],
  0x97: ['connack', 'puback', 'pubrec', 'suback', 'disconnect'],
  0x98: ['disconnect'],
  0x99: ['connack', 'puback', 'pubrec', 'disconnect'],
  0x9a: ['connack', 'disconnect'],
  0x9b: ['connack', 'disconnect'],
  0x9c: ['connack', 'disconnect'],
  0x9d: ['connack', 'disconnect'],
  0x9e: ['suback', 'disconnect'],
  0x9f: ['connack', 'disconnect'],
  0xa0: ['disconnect'],
  0xa1: ['suback', 'disconnect'],
  0xa2: ['suback', 'disconnect'],
}

/** Where one code has another name in one packet (0x00 is "Granted QoS 0" in a SUBACK). */
const namedIn: Partial<Record<ReasonPacket, Record<number, string>>> = {
  suback: { 0x00: 'Granted QoS 0' },
  disconnect: { 0x00: 'Normal disconnection' },
  auth: { 0x18: 'Continue authentication', 0x19: 'Re-authenticate' },
}

export function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`
}

/**
 * "0 (Connection Accepted)" for MQTT 3.1.1 CONNACK, "0x87 (Not authorized)" for MQTT 5. A CONNACK answering an
 * MQTT 5 CONNECT with 1 to 5 came from a broker that speaks only MQTT 3.1.1 (aedes 1.x): it is named so, not
 * after the SUBACK code it happens to share a number with.
 */
export function describeConnackCode(code: number, protocolVersion: number): string {
  if (protocolVersion === 5) {
    if (code >= 1 && code <= 5)
      return `${hex(code)} (not an MQTT 5 CONNACK code: MQTT 3.1.1's return code ${code}, ${connackV3[code]}, from a broker that does not speak MQTT 5)`
    return describeReasonCode(code, 5, 'connack')
  }
  return `${code} (${connackV3[code] ?? 'unknown return code'})`
}

/** A SUBACK entry (granted QoS or failure) or any MQTT 5 reason code of `packet`, named as that packet names it. */
export function describeReasonCode(code: number, protocolVersion: number, packet?: ReasonPacket): string {
  if (protocolVersion !== 5) {
    if (code === 0x80) return '0x80 (Failure)'
    return String(code)
  }
  if (packet && usedIn[code] && !usedIn[code].includes(packet))
    return `${hex(code)} (not a ${packet.toUpperCase()} reason code)`
  return `${hex(code)} (${(packet && namedIn[packet]?.[code]) ?? reasonV5[code] ?? 'unknown reason'})`
}
