import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { courseRoot } from '../support/run-cli.ts'

/**
 * A cohort where some students attack: the hostile suite's fixture. Every hostile program is ex1's solution plus
 * an attack started after it (so that, if the sandbox holds, it scores exactly what the solution scores), and
 * prints one line on stderr (stdout's tail is the solution's) the test reads from its result.json: PROBES, CROSSTALK, BOMBS.
 */
const programs = path.join(import.meta.dirname, 'programs')
const solution = readFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'), 'utf8')
const starter = readFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/starter/main.ts'), 'utf8')

export interface HostileCohort {
  root: string
  cohort: string
  out: string
  /** A file inside the course a program must not change. */
  canary: string
  /** The honest students, whose verdicts no one else may change. */
  honest: string[]
  hostile: string[]
}

/** The students and what each submits (ex1-hello-mqtt/ inside their folder). */
export function writeHostileCohort(options: { owner?: number; withMemoryBomb?: boolean } = {}): HostileCohort {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-hostile-cohort-'))
  const cohort = path.join(root, 'cohort')
  const out = path.join(root, 'reports')
  const canary = path.join(courseRoot, 'grader', `.canary-${path.basename(root)}`)
  writeFileSync(canary, 'untouched')
  const submit = (student: string, files: Record<string, string>) => {
    const dir = path.join(cohort, student, 'ex1-hello-mqtt')
    mkdirSync(dir, { recursive: true })
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
    return dir
  }
  const honest = ['honest-alice', 'honest-bob', 'Anne Marie', 'Anne_Marie', '=SUM(1+1)']
  for (const student of honest) submit(student, { 'main.ts': solution })
  honest.push('honest-starter')
  submit('honest-starter', { 'main.ts': starter })
  const victim = path.join(cohort, 'honest-alice', 'ex1-hello-mqtt', 'main.ts')
  const targets = {
    read: {
      solution: path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'),
      'classmate-code': victim,
      'course-git': path.join(courseRoot, '.git/config'),
      'stored-results-secret': path.join(out, '.cache/secret'),
    },
    list: { cohort, reports: out, 'stored-results': path.join(out, '.cache') },
    write: {
      course: canary,
      'classmate-code': victim,
      'stored-result': path.join(out, '.cache', `${'0'.repeat(64)}.json`),
      reports: path.join(out, 'gradebook.csv'),
    },
  }
  const hostile = ['hostile-escape', 'hostile-crosstalk', 'hostile-bombs', 'hostile-fifo']
  submit('hostile-escape', {
    'main.ts': `${solution}\nvoid import('./escape.ts')\n`,
    'escape.ts': readFileSync(path.join(programs, 'escape.ts'), 'utf8'),
    'escape-probes.py': readFileSync(path.join(programs, 'escape-probes.py'), 'utf8'),
    'targets.json': JSON.stringify(targets),
  })
  submit('hostile-crosstalk', {
    'main.ts': `${solution}\nvoid import('./crosstalk.ts')\n`,
    'crosstalk.ts': readFileSync(path.join(programs, 'crosstalk.ts'), 'utf8'),
  })
  submit('hostile-bombs', {
    'main.ts': `import './bombs.ts'\n${solution}`,
    'bombs.ts': readFileSync(path.join(programs, 'bombs.ts'), 'utf8'),
  })
  // Many files, each under the per-file limit, before the solution starts.
  hostile.push('hostile-disk')
  submit('hostile-disk', {
    'main.ts': `import './disk-files.ts'\n${solution}`,
    'disk-files.ts': readFileSync(path.join(programs, 'disk-files.ts'), 'utf8'),
  })
  // A FIFO in a submission: reading it would block the copy forever.
  const fifo = submit('hostile-fifo', { 'main.ts': solution })
  execFileSync('mkfifo', [path.join(fifo, 'pipe')])
  if (options.withMemoryBomb) {
    hostile.push('hostile-memory')
    submit('hostile-memory', {
      'main.ts': `${solution}\nconst hoard: Buffer[] = []\nfor (let i = 0; i < 24; i++) hoard.push(Buffer.alloc(64 * 1024 * 1024, i))\nconsole.log('MEMORY allocated', hoard.length * 64, 'MiB')\n`,
    })
  }
  // Not a student: hidden, and a stray file.
  mkdirSync(path.join(cohort, '.hidden-student', 'ex1-hello-mqtt'), { recursive: true })
  writeFileSync(path.join(cohort, 'README.txt'), 'the cohort of the hostile suite\n')
  if (options.owner !== undefined) ownAll(root, options.owner)
  return { root, cohort, out, canary, honest, hostile }
}

/** A plain user's files: everything under `dir` theirs (the suite's plain-user runs). */
export function ownAll(dir: string, uid: number): void {
  chownSync(dir, uid, uid)
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const target = path.join(dir, entry.name)
    chownSync(target, uid, uid)
    if (entry.isDirectory()) ownAll(target, uid)
  }
}

/** A snapshot of every regular file under `dir`: path → content, to compare before and after. */
export function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const target = path.join(folder, entry.name)
      if (entry.isDirectory()) walk(target)
      else if (entry.isFile()) files.set(target, readFileSync(target, 'latin1'))
    }
  }
  walk(dir)
  return files
}

/** Makes `dir` and its parents up to the temporary folder enterable by anyone (a plain user's grader reads them). */
export function openUp(dir: string): void {
  chmodSync(dir, statSync(dir).mode | 0o755)
}

export { cpSync }
