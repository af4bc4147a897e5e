/** Where the Playground's clients connect: the broker in this page, or a WebSocket URL. */
export type BrokerChoice = { kind: 'in-page' } | { kind: 'websocket'; url: string }

export const inPageChoice = 'in-page'
export const localBrokerUrl = 'ws://localhost:8080'

/**
 * Reads what the student chose or typed. Browsers speak MQTT only over WebSockets, so anything but a ws:// or
 * wss:// URL is refused with a sentence that says what to type instead (today's "localhost:8080" would be
 * read as a relative path and dial nowhere).
 */
export function parseBrokerChoice(text: string): BrokerChoice | { problem: string } {
  const value = text.trim()
  if (value === '' || value === inPageChoice) return { kind: 'in-page' }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase()
  if (!scheme) {
    return {
      problem: `"${value}" has no scheme. A browser reaches an MQTT broker only over WebSockets: write ws://${value} (or wss:// for TLS).`,
    }
  }
  if (scheme === 'mqtt' || scheme === 'mqtts' || scheme === 'tcp' || scheme === 'ssl' || scheme === 'tls') {
    const rest = value.slice(scheme.length + 3)
    return {
      problem: `A browser cannot open ${scheme}:// (raw TCP) connections, only WebSockets. Use the broker's WebSocket listener, for example ws://${rest.replace(/:1883\b/, ':8080')} (npm run broker listens on ws://localhost:8080; Mosquitto needs a "listener 8080" with "protocol websockets").`,
    }
  }
  if (scheme !== 'ws' && scheme !== 'wss')
    return { problem: `${scheme}:// is not an MQTT over WebSockets URL: write ws://host:port or wss://host:port.` }
  try {
    const url = new URL(value)
    if (!url.hostname) return { problem: `${value} has no host: write ws://host:port.` }
    return { kind: 'websocket', url: value }
  } catch {
    return { problem: `${value} is not a valid URL: write ws://host:port or wss://host:port.` }
  }
}
