import type { Random } from '../runner/random.ts'
import { formatPayload } from '../mqtt/format-payload.ts'

/** One kind of payload a program that passes data on must keep intact. */
export interface PayloadSample {
  kind: 'ascii' | 'utf8' | 'binary' | 'empty' | 'large'
  payload: Buffer
  /** For messages: "the UTF-8 text "grüße 42 ✓"", "14 bytes that are not text <ff 00 ...>". */
  description: string
}

/** Bytes that are never valid UTF-8 (0xff, a lone continuation byte) and a NUL: a round trip through a string changes them. */
const notText = [0xff, 0x00, 0x80, 0xfe]
const scripts = ['grüße', 'température', 'Ångström', '温度', 'давление', 'θερμοκρασία', '✓', '°C', '🌡']

/**
 * A payload of every kind, on every run: plain ASCII, UTF-8 beyond ASCII, binary that is not text, empty, and
 * large (64 KiB). Which kinds are tried never depends on the seed; only their bytes do, so a program that breaks
 * one kind fails on every run (MQTT payloads are bytes [MQTT-1.5.3]: the broker passes them on untouched).
 */
export function payloadSamples(random: Random): PayloadSample[] {
  const ascii = `${random.word()} ${random.int(100, 999)}`
  const utf8 = `${random.word()} ${random.pick(scripts)} ${random.int(10, 99)} ${random.pick(scripts.filter((s) => s.length > 2))}`
  const binary = Buffer.concat([Buffer.from(random.shuffle(notText)), Buffer.from(random.hex(20), 'hex')])
  const large = Buffer.from(`${random.word()}-${random.hex(8)} `.repeat(65_536)).subarray(0, 65_536)
  return [
    { kind: 'ascii', payload: Buffer.from(ascii), description: `the text ${JSON.stringify(ascii)}` },
    {
      kind: 'utf8',
      payload: Buffer.from(utf8),
      description: `the UTF-8 text ${JSON.stringify(utf8)} (not only ASCII)`,
    },
    {
      kind: 'binary',
      payload: binary,
      description: `${binary.length} bytes that are not text, ${formatPayload(binary)}`,
    },
    { kind: 'empty', payload: Buffer.alloc(0), description: 'an empty payload (zero bytes)' },
    { kind: 'large', payload: large, description: `a large payload (${large.length} bytes of text)` },
  ]
}

/** Whether two payloads are the same bytes. */
export function isSamePayload(a: Buffer | string, b: Buffer): boolean {
  return Buffer.compare(typeof a === 'string' ? Buffer.from(a) : a, b) === 0
}

/** A payload for a message: its preview, and its size when the preview does not say it. */
export function describeBytes(payload: Buffer | string): string {
  const shown = formatPayload(payload)
  return /\bbytes\b/.test(shown) ? shown : `${shown} (${Buffer.byteLength(payload)} bytes)`
}
