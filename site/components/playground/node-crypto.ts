/**
 * The one thing aedes takes from node:crypto: `randomUUID()`, for broker and client ids. The in-page build maps
 * node:crypto here instead of a full crypto polyfill (hundreds of kB). `crypto.randomUUID` exists only in
 * secure contexts (https, localhost); `getRandomValues` exists everywhere, so a site served over plain http
 * from another host still gets its ids.
 */
export function randomUUID(
  source: Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>> = globalThis.crypto,
): string {
  if (typeof source.randomUUID === 'function') return source.randomUUID()
  const bytes = source.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40 // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80 // RFC 4122 variant
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export default { randomUUID: () => randomUUID() }
