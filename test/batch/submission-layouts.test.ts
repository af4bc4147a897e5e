import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { folderEntries, writeZip } from '../../grader/export/write-zip.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir } from './cohort-fixtures.ts'

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd, encoding: 'utf8' },
  )

/** A clone of the course as a student has it: ex1 solved, the rest starters. */
function writeClone(dest: string): void {
  for (const folder of ['ex1-hello-mqtt', 'ex2-topic-wildcards'])
    copyVariant(
      folder,
      folder === 'ex1-hello-mqtt' ? 'solution' : 'starter',
      path.join(dest, 'exercises', folder, 'starter'),
    )
  writeFileSync(path.join(dest, 'README.md'), '# mqtt-course\n')
  cpSync(path.join(courseRoot, 'package.json'), path.join(dest, 'package.json'))
}

/** A zip whose one entry climbs out of the folder it is unpacked into (written safely, then its name patched). */
async function writeZipSlip(zipFile: string): Promise<void> {
  await writeZip(zipFile, [{ name: 'aa/evil.txt', from: { text: 'pwned' } }])
  const bytes = readFileSync(zipFile)
  // The name is stored twice (local header, central directory): both become ../evil.txt, the same length.
  writeFileSync(zipFile, Buffer.from(bytes.toString('latin1').replaceAll('aa/evil.txt', '../evil.txt'), 'latin1'))
}

describe('submissions as they arrive: graded, or named in the errors column with what to do (one layout detector)', () => {
  let cohort: string
  let out: string
  let run: Awaited<ReturnType<typeof runCli>>
  let gradebook: Map<string, string>

  beforeAll(async () => {
    const repo = tempDir('layout-cohort')
    cohort = path.join(repo, 'submissions')
    out = path.join(tempDir('layout-out'), 'reports')
    // A full clone, and the same zipped by GitHub's "Download ZIP" (a wrapping folder), with a Mac's __MACOSX/.
    writeClone(path.join(cohort, 'clone'))
    const zipped = tempDir('zipped')
    writeClone(path.join(zipped, 'mqtt-course-main'))
    mkdirSync(path.join(cohort, 'zipped'))
    await writeZip(path.join(cohort, 'zipped', 'mqtt-course-main.zip'), [
      ...folderEntries(zipped, ''),
      { name: '__MACOSX/mqtt-course-main/._README.md', from: { text: 'resource fork' } },
    ])
    // A folder beside a Mac's __MACOSX/ (what unzipping on a Mac leaves).
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'macos', 'ex1-hello-mqtt'))
    writeFileSync(path.join(cohort, 'macos', '__MACOSX'), '')
    // exN folders; another language's program; an empty folder; a zip that climbs out.
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'folders', 'ex1'))
    mkdirSync(path.join(cohort, 'python', 'ex1-hello-mqtt'), { recursive: true })
    writeFileSync(path.join(cohort, 'python', 'ex1-hello-mqtt', 'main.py'), 'print("hello")\n')
    mkdirSync(path.join(cohort, 'slip'))
    await writeZipSlip(path.join(cohort, 'slip', 'submission.zip'))
    // A nested clone committed with git add: a gitlink; after a fresh checkout, an empty folder.
    writeClone(path.join(cohort, 'nested'))
    git(path.join(cohort, 'nested'), 'init', '-q')
    git(path.join(cohort, 'nested'), 'add', '-A')
    git(path.join(cohort, 'nested'), 'commit', '-qm', 'student work')
    git(repo, 'init', '-q')
    git(repo, 'add', 'submissions')
    git(repo, 'commit', '-qm', 'the cohort')
    const checkout = tempDir('layout-checkout')
    git(checkout, 'clone', '-q', repo, 'course')
    cohort = path.join(checkout, 'course', 'submissions')
    // git keeps no empty folder: this one is made in the checkout, as a student who uploaded nothing leaves it.
    mkdirSync(path.join(cohort, 'empty'))
    expect(existsSync(path.join(cohort, 'nested', 'exercises')), 'a gitlink checks out as an empty folder').toBe(false)

    run = await runCli(
      ['batch', cohort, '--out', out, '--exercises', 'ex1', '--broker', 'embedded', '--jobs', '2', '--seed', '7'],
      { timeoutMs: 300_000 },
    )
    const rows = readFileSync(path.join(out, 'gradebook.csv'), 'utf8').trim().split('\n').slice(1)
    // CSV doubles the quotes inside a quoted cell.
    gradebook = new Map(rows.map((row) => [row.split(',')[0], row.replaceAll('""', '"')]))
  }, 400_000)

  it('grades a clone, a zip-wrapped clone (unpacked), exN folders and a folder beside __MACOSX/', () => {
    expect(run.stderr).toBe('')
    for (const student of ['clone', 'zipped', 'macos', 'folders'])
      expect(gradebook.get(student), student).toMatch(new RegExp(`^${student},5,5,5,$`))
    const zipped = JSON.parse(readFileSync(path.join(out, 'zipped', 'result.json'), 'utf8')) as {
      exercises: { source: string }[]
    }
    expect(zipped.exercises[0].source).toBe(
      'zipped/mqtt-course-main.zip/mqtt-course-main/exercises/ex1-hello-mqtt/starter',
    )
  })

  it('names what it could not grade, and what to do', () => {
    // Issue 22: a main.py is graded with python3 (this one prints and ends: tried, 0 points), not "not submitted".
    expect(gradebook.get('python')).toBe('python,0,0,5,')
    expect(gradebook.get('empty')).toContain('no exercise found: empty/ is empty')
    expect(gradebook.get('slip')).toContain(
      'no exercise found: submission.zip holds an entry that would be written outside its folder (../evil.txt): not unpacked',
    )
    expect(gradebook.get('nested')).toMatch(
      /no exercise found: nested\/ is a gitlink \(a nested clone committed with git add: git stored a link to commit [0-9a-f]{12}, not its files\), so the checkout holds an empty folder; commit the files instead: git rm --cached nested && rm -rf nested\/.git && git add nested/,
    )
    expect(existsSync(path.join(path.dirname(cohort), 'evil.txt'))).toBe(false)
  })

  it('exits 0 while at most half of the cohort has no exercise found', () => {
    expect(run.exitCode, run.stdout).toBe(0)
  })

  it('exits 1 with one line when more than half of the cohort has no exercise found', async () => {
    const gitlinks = tempDir('gitlink-cohort')
    for (const student of ['a', 'b', 'c']) mkdirSync(path.join(gitlinks, student))
    copyVariant('ex1-hello-mqtt', 'solution', path.join(gitlinks, 'd', 'ex1'))
    const result = await runCli(
      [
        'batch',
        gitlinks,
        '--out',
        path.join(tempDir('gitlink-out'), 'reports'),
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--seed',
        '7',
      ],
      { timeoutMs: 120_000 },
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe(
      "error: 3 of 4 submissions have no exercise found: the cohort is not laid out as the batch expects (the gradebook's errors column says what each holds; nested clones committed with git add are empty gitlinks)\n",
    )
  }, 150_000)

  it('npm run grade -- --dir reads the same layouts: a zip-wrapped clone, and says what a python folder holds', async () => {
    const zipped = await runCli(
      ['grade', '--dir', path.join(cohort, 'zipped'), '--broker', 'embedded', '--seed', '7', '--json'],
      { timeoutMs: 120_000 },
    )
    const report = JSON.parse(zipped.stdout) as {
      points: number
      exercises: { id: string; points: number; source: string; error?: unknown }[]
    }
    // The clone in the zip: ex1 solved, ex2 its starter (graded, whatever it scores).
    expect(report.exercises.map((exercise) => exercise.id)).toEqual(['ex1', 'ex2'])
    expect(report.exercises[0].points).toBe(5)
    expect(
      report.exercises.every((exercise) => exercise.error === undefined && exercise.source.endsWith('/starter')),
    ).toBe(true)
    const python = await runCli(['grade', 'ex1', '--dir', path.join(cohort, 'python'), '--broker', 'embedded'])
    expect(python.exitCode).toBe(2)
    expect(python.stdout + python.stderr).toContain('holds main.py and no main.ts')
  }, 150_000)
})
