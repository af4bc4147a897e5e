import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyCourse } from '../support/course-copy.ts'
import { type InteractiveCli, startCli } from '../support/interactive-cli.ts'
import { courseRoot } from '../support/run-cli.ts'

const ex1Solution = path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts')
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function watch(root: string, args: string[], isTerminal: boolean): InteractiveCli {
  const cli = startCli(root, ['watch', ...args], { isTerminal })
  // A test that fails half-way still ends its watch.
  cleanups.push(async () => {
    cli.kill('SIGKILL')
    await cli.exitCode
  })
  return cli
}

function tempCopyOf(starter: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-watch-'))
  cpSync(path.join(courseRoot, 'exercises', starter, 'starter'), dir, { recursive: true })
  return dir
}

describe('npm run watch without a terminal', () => {
  it('grades, then grades again when a file is saved, until Ctrl-C (exit 0)', async () => {
    const dir = tempCopyOf('ex1-hello-mqtt')
    const cli = watch(courseRoot, ['ex1', '--dir', dir, '--broker', 'embedded'], false)
    await cli.output.waitFor(/\[watch\] waiting for changes in .+ \(Ctrl-C to stop\)/)
    expect(cli.output.text).toContain('✗ connects')
    const mark = cli.output.mark
    copyFileSync(ex1Solution, path.join(dir, 'main.ts'))
    await cli.output.waitFor(/All checks passed: 5\/5 points/, mark)
    expect(cli.output.text.slice(mark)).toMatch(/\[watch\] .*main\.ts changed: grading again/)
    // One exercise's folder has no next exercise: the watch stays.
    await cli.output.waitFor(/\[watch\] waiting for changes/, mark)
    expect(cli.output.text.slice(mark)).not.toMatch(/on to ex2/)
    cli.kill('SIGINT')
    expect(await cli.exitCode).toBe(0)
  })

  it('with no exercise starts at the first not passed; keys from a pipe; a pass is recorded and it moves on to the next not passed', async () => {
    const course = copyCourse()
    cleanups.push(course.remove)
    // ex2 passed already (in an earlier session): after ex1 the watch goes on to ex3.
    mkdirSync(path.join(course.root, '.mqtt-course'))
    writeFileSync(
      path.join(course.root, '.mqtt-course/progress.json'),
      JSON.stringify({ version: 1, exercises: { 'topic-wildcards': { bestPoints: 9, passed: true } } }),
    )
    const cli = watch(course.root, ['--broker', 'embedded'], false)
    await cli.output.waitFor(/\[watch\] waiting for changes in exercises\/ex1-hello-mqtt\/starter/)
    expect(cli.output.text).toMatch(/^\[grader ex1\] Hello, broker: grading starter/m)
    let mark = cli.output.mark
    cli.type('h')
    await cli.output.waitFor(/Hint 1 of \d+ for ex1: Hello, broker/, mark)
    mark = cli.output.mark
    cli.type('l')
    await cli.output.waitFor(
      / {2}✗ ex1 +Hello, broker +best 0\/5\n {2}✓ ex2 +Topic wildcards +9\/\d+\n[\s\S]+Next: ex1/,
      mark,
    )
    mark = cli.output.mark
    copyFileSync(ex1Solution, path.join(course.root, 'exercises/ex1-hello-mqtt/starter/main.ts'))
    await cli.output.waitFor(
      /All checks passed: 5\/5 points[\s\S]*\[watch\] ex1 passed: on to ex3, Quality of Service/,
      mark,
    )
    await cli.output.waitFor(
      /\[grader ex3\] Quality of Service: grading starter[\s\S]+\[watch\] waiting for changes in exercises\/ex3-qos\/starter/,
      mark,
    )
    mark = cli.output.mark
    cli.type('n')
    await cli.output.waitFor(
      /\[grader ex4\] Retained device state: grading starter[\s\S]+\[watch\] waiting for changes in exercises\/ex4-retained-state\/starter/,
      mark,
    )
    cli.type('q')
    expect(await cli.exitCode).toBe(0)
    const progress = JSON.parse(readFileSync(path.join(course.root, '.mqtt-course/progress.json'), 'utf8'))
    expect(progress.exercises['hello-mqtt']).toEqual({ bestPoints: 5, passed: true, hintsShown: 1 })
    expect(progress.exercises.qos).toEqual({ bestPoints: 0 })
  })

  it('--poll notices a save by its mtime alone', async () => {
    const dir = tempCopyOf('ex1-hello-mqtt')
    const cli = watch(courseRoot, ['ex1', '--dir', dir, '--broker', 'embedded', '--poll'], false)
    await cli.output.waitFor(/\[watch\] waiting for changes/)
    const mark = cli.output.mark
    copyFileSync(ex1Solution, path.join(dir, 'main.ts'))
    await cli.output.waitFor(/main\.ts changed: grading again[\s\S]+All checks passed: 5\/5 points/, mark)
    cli.type('q')
    expect(await cli.exitCode).toBe(0)
  })

  it('switches to polling by itself when a save changes an mtime and no file event comes', async () => {
    // A write through a memory map changes the file and its mtime, and Linux sends no file event for it: the
    // same thing a student sees on WSL's /mnt or a network drive.
    const dir = tempCopyOf('ex1-hello-mqtt')
    const solution = readFileSync(ex1Solution, 'utf8')
    // Broken so that it fails at once (it does not compile), and fixed by one same-length write.
    const broken = solution.replace('import', 'imqort')
    expect(broken).not.toBe(solution)
    writeFileSync(path.join(dir, 'main.ts'), broken)
    const cli = watch(courseRoot, ['ex1', '--dir', dir, '--broker', 'embedded'], false)
    await cli.output.waitFor(/\[watch\] waiting for changes/)
    expect(cli.output.text).toMatch(/✗ types/)
    let mark = cli.output.mark
    const offset = Buffer.byteLength(broken.slice(0, broken.indexOf('imqort')))
    execFileSync('python3', [
      '-c',
      'import mmap,sys\nf=open(sys.argv[1],"r+b")\nm=mmap.mmap(f.fileno(),0)\no=int(sys.argv[2])\nm[o:o+6]=b"import"\nm.flush()',
      path.join(dir, 'main.ts'),
      String(offset),
    ])
    await cli.output.waitFor(/\[watch\] main\.ts changed and no file event came: polling for changes from now on/, mark)
    await cli.output.waitFor(/All checks passed: 5\/5 points/, mark)
    // From now on it polls: an ordinary save is still seen.
    mark = cli.output.mark
    writeFileSync(path.join(dir, 'main.ts'), broken)
    await cli.output.waitFor(/main\.ts changed: grading again[\s\S]+✗ types/, mark)
    cli.type('q')
    expect(await cli.exitCode).toBe(0)
  })

  it('bad input: exit 2 with what to do', async () => {
    for (const [args, message] of [
      [['ex1', 'ex2'], /watch follows one exercise at a time/],
      [['--all'], /watch follows one exercise at a time/],
      [['ex1', '--json'], /watch prints for a person/],
      [['ex42'], /there is no exercise "ex42"/],
    ] as const) {
      const cli = watch(courseRoot, [...args], false)
      expect({ args, exitCode: await cli.exitCode }).toEqual({ args, exitCode: 2 })
      expect(cli.output.text).toMatch(message)
      expect(cli.output.text).toMatch(/what to do: /)
    }
    const help = watch(courseRoot, ['--help'], false)
    expect(await help.exitCode).toBe(0)
    expect(help.output.text).toMatch(
      /^Usage: npm run watch[\s\S]+Keys: h hint · l list · r grade again · n next exercise · q quit[\s\S]+--poll/,
    )
  })
})

describe('npm run watch on a terminal (a pseudo-terminal: one key press at a time)', () => {
  it('asks before moving on: n stays, r grades again, y goes on; h gives a hint; q quits', async () => {
    const course = copyCourse()
    cleanups.push(course.remove)
    copyFileSync(ex1Solution, path.join(course.root, 'exercises/ex1-hello-mqtt/starter/main.ts'))
    const cli = watch(course.root, ['--broker', 'embedded'], true)
    await cli.output.waitFor(
      /All checks passed: 5\/5 points[\s\S]*ex1 passed\. Go on to ex2: Topic wildcards\? \[Y\/n\] /,
    )
    let mark = cli.output.mark
    cli.type('n')
    await cli.output.waitFor(
      /\[watch\] waiting for changes in exercises\/ex1-hello-mqtt\/starter \(h hint · l list · r grade again · n next exercise · q quit\)/,
      mark,
    )
    mark = cli.output.mark
    cli.type('r')
    await cli.output.waitFor(/\[grader ex1\] Hello, broker[\s\S]+Go on to ex2: Topic wildcards\? \[Y\/n\] /, mark)
    mark = cli.output.mark
    cli.type('y')
    await cli.output.waitFor(
      /\[grader ex2\] Topic wildcards: grading starter[\s\S]+\[watch\] waiting for changes in exercises\/ex2-topic-wildcards\/starter/,
      mark,
    )
    mark = cli.output.mark
    cli.type('h')
    await cli.output.waitFor(/Hint 1 of \d+ for ex2: Topic wildcards/, mark)
    cli.type('q')
    expect(await cli.exitCode).toBe(0)
  })

  it('Ctrl-C on a terminal (a key in raw mode, not a signal) ends the watch with exit 0', async () => {
    const dir = tempCopyOf('ex1-hello-mqtt')
    const cli = watch(courseRoot, ['ex1', '--dir', dir, '--broker', 'embedded'], true)
    await cli.output.waitFor(/\[watch\] waiting for changes/)
    cli.type('\u0003')
    expect(await cli.exitCode).toBe(0)
  })
})

describe('npm run reset on a terminal', () => {
  it('asks first: anything but y keeps the work (exit 1); y moves it to a backup and restores the starter', async () => {
    const course = copyCourse({ isGit: true })
    cleanups.push(course.remove)
    const main = path.join(course.root, 'exercises/ex1-hello-mqtt/starter/main.ts')
    writeFileSync(main, '// my work\n')
    const no = startCli(course.root, ['reset', 'ex1'], { isTerminal: true })
    await no.output.waitFor(
      /Move your work in exercises\/ex1-hello-mqtt\/starter to \.mqtt-course\/backups\/\S+ and restore the starter\? \[y\/N\] $/,
    )
    no.type('n\r')
    expect(await no.exitCode).toBe(1)
    expect(no.output.text).toMatch(/Nothing changed\./)
    expect(readFileSync(main, 'utf8')).toBe('// my work\n')
    const yes = startCli(course.root, ['reset', 'ex1'], { isTerminal: true })
    await yes.output.waitFor(/\[y\/N\] $/)
    yes.type('y\r')
    expect(await yes.exitCode).toBe(0)
    const backup = /Your work is in (\S+)/.exec(yes.output.text)![1]
    expect(readFileSync(path.join(course.root, backup, 'main.ts'), 'utf8')).toBe('// my work\n')
    expect(readFileSync(main, 'utf8')).toBe(
      readFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/starter/main.ts'), 'utf8'),
    )
  })
})
