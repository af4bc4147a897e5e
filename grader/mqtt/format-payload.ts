/** How much of a text payload a packet line shows before it cuts the payload short. */
const payloadPreviewChars = 80

/** A payload as one line of a trace: quoted text, or its first bytes in hex when it is not text. */
export function formatPayload(payload: Buffer | string | undefined): string {
  if (payload === undefined) return '(none)'
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload
  if (bytes.length === 0) return '(empty)'
  const text = bytes.toString('utf8')
  const isPrintable = !text.includes('\uFFFD') && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)
  if (!isPrintable) {
    const shown = bytes.subarray(0, 24).toString('hex').replace(/(..)/g, '$1 ').trim()
    return `<${bytes.length} bytes: ${shown}${bytes.length > 24 ? ' ...' : ''}>`
  }
  if (text.length <= payloadPreviewChars) return JSON.stringify(text)
  return `${JSON.stringify(text.slice(0, payloadPreviewChars))}... (${bytes.length} bytes)`
}
