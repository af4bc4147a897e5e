import { readFileSync } from 'node:fs'

/**
 * Which MQTT.js call a check is about, by the words of its id (`subscribes-with-filters`, `connects-with-will`):
 * the line an annotation points at is that call's first line in the student's file.
 */
const callsByCheck: [RegExp, RegExp][] = [
  [/subscri|forwards|match|wildcard|dollar|reads|commands|bad-json|shared/, /\.subscribe(Async)?\s*\(/],
  [/disconnect|graceful|offline-cleanly|sigterm/, /\.end(Async)?\s*\(|process\.on\(\s*['"]SIG/],
  [
    /connect|will|client|keepalive|session|tls|wss|websocket|ca\b|name|anonymous|password|log-in/,
    /\bconnect(Async)?\s*\(/,
  ],
  [
    /publish|retain|state|online|telemetry|interval|echo|hello|repl|reports|qos|trace|correlation|reaches|lane/,
    /\.publish(Async)?\s*\(/,
  ],
]

/**
 * The line of the first statement relevant to a check in the student's file, 1-based: the MQTT.js call the
 * check is about when the file makes it, else the first statement that is not an import or a comment, else 1.
 * Enough for GitHub's annotations (`line=`) and Classroom's reporter (`line_no`) to land near the mistake.
 */
export function relevantLine(file: string | undefined, checkId: string): number {
  if (!file) return 1
  let lines: string[]
  try {
    lines = readFileSync(file, 'utf8').split('\n')
  } catch {
    return 1
  }
  for (const [words, call] of callsByCheck) {
    if (!words.test(checkId)) continue
    const index = lines.findIndex((line) => call.test(line) && !isComment(line))
    if (index >= 0) return index + 1
  }
  const first = lines.findIndex(
    (line) =>
      line.trim() !== '' && !isComment(line) && !/^\s*import\b/.test(line) && !/^\s*(from|\}\s*from)\b/.test(line),
  )
  return first >= 0 ? first + 1 : 1
}

function isComment(line: string): boolean {
  return /^\s*(\/\/|\/\*|\*|#)/.test(line)
}
