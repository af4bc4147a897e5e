// Runs the escape probes (escape-probes.py, beside this file) and prints one line on stderr the test reads:
// PROBES {"escaped": [...], "refused": n}. A probe that escapes names itself and what it did.
import { spawnSync } from 'node:child_process'

const run = spawnSync('/usr/bin/python3', ['escape-probes.py', 'targets.json'], { encoding: 'utf8', timeout: 20_000 })
const lines = `${run.stdout ?? ''}`.split('\n').filter((line) => line.startsWith('probe '))
const escaped = lines.filter((line) => line.includes(': ESCAPED'))
console.error(
  `PROBES ${JSON.stringify({ escaped, refused: lines.length - escaped.length, error: run.error?.message ?? (run.status === 0 ? undefined : run.stderr.slice(-300)) })}`,
)
