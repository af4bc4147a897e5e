import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startPlaygroundBroker } from '../../grader/broker/playground-broker.ts'
import { runCli } from '../support/run-cli.ts'

/**
 * Bad input and a broken environment: exit 2, one clear line that says what to do, before anything is graded
 * (so nothing finished is lost); a student's mistake is exit 1; an exercise the chosen broker cannot run is
 * skipped, and said so, which is no failure.
 */
const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})
function folder(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mqtt-course-${name}-`))
  folders.push(dir)
  return dir
}

describe('npm run grade: environment errors are exit 2, found before grading', () => {
  it('an unwritable --junit path, even under /proc, is refused at once (exit 2)', async () => {
    for (const file of ['/proc/forbidden/j.xml', path.join(folder('junit'), 'a-file/j.xml')]) {
      if (file.includes('a-file')) writeFileSync(path.dirname(file), 'not a folder')
      const startedAt = performance.now()
      const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'embedded', '--junit', file], {
        timeoutMs: 20_000,
      })
      expect(result.exitCode, result.stderr).toBe(2)
      expect(result.stderr).toContain(`error: --junit ${file} cannot be written`)
      expect(result.stderr).toContain('what to do: give --junit a file in a folder you can write to')
      expect(result.stdout).toBe('')
      expect(performance.now() - startedAt).toBeLessThan(15_000)
    }
  })

  it("a --cmd whose interpreter does not exist is the machine's problem (exit 2), not the student's", async () => {
    const dir = folder('cmd')
    writeFileSync(path.join(dir, 'main.py'), 'print("hi")\n')
    for (const command of ['python9 main.py', './missing.sh', 'python9 main.py | cat']) {
      const result = await runCli(['grade', 'ex6', '--dir', dir, '--broker', 'embedded', '--cmd', command])
      expect(result.exitCode, `${command}\n${result.stdout}`).toBe(2)
      expect(result.stdout).toMatch(/could not grade: --cmd ".+": \S+ was not found/)
    }
  })

  it('a DOCKER_HOST that does not answer is named, never silently replaced by another engine (exit 2)', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
    for (const dockerHost of [`tcp://127.0.0.1:${closed}`, 'unix:///nonexistent/docker.sock']) {
      const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'container'], {
        env: { DOCKER_HOST: dockerHost },
      })
      expect(result.exitCode, result.stdout).toBe(2)
      expect(result.stdout).toContain(`DOCKER_HOST=${dockerHost} does not answer`)
    }
  })

  it('raw escape codes and carriage returns from a program reach the console escaped', async () => {
    const dir = folder('escapes')
    writeFileSync(
      path.join(dir, 'main.js'),
      'process.stdout.write("\\u001b[2J\\rAll checks passed\\u0007\\n"); process.exit(1)\n',
    )
    const result = await runCli([
      'grade',
      'ex1',
      '--dir',
      dir,
      '--broker',
      'embedded',
      '--cmd',
      `${process.execPath} main.js`,
    ])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).not.toMatch(/[\u001b\r\u0007]/)
    expect(result.stdout).toContain('\\x1b[2J\\rAll checks passed\\x07')
  })
})

describe('exercises the chosen broker cannot run are skipped, which is no failure', () => {
  it('--broker embedded for ex8: no "Mosquitto starts" tick, a skip that says which broker to use, exit 0', async () => {
    const result = await runCli(['grade', 'ex8', '--solution', '--broker', 'embedded'])
    expect(result.exitCode, result.stdout).toBe(0)
    expect(result.stdout).not.toContain('✓ broker-config')
    expect(result.stdout).toContain('ex8 needs a broker with your mosquitto.conf')
    expect(result.stdout).toContain('grade it with --broker mosquitto, --broker container or --broker auto')
    expect(result.stdout).not.toMatch(/(use|or) --broker embedded/)
  })

  it('--all --solution --broker embedded: everything that ran passed, the rest is skipped, exit 0', async () => {
    const result = await runCli(['grade', '--all', '--solution', '--broker', 'embedded'], { timeoutMs: 120_000 })
    expect(result.exitCode, result.stdout).toBe(0)
    expect(result.stdout).toMatch(/- ex8 .*skipped: needs another broker/)
    expect(result.stdout).toMatch(/- ex9 .*skipped: needs another broker/)
    expect(result.stdout).toMatch(/✓ ex1 /)
  })
})

describe('npm run broker', () => {
  it('a busy --ws-port is one line that names the flag (exit 2), not a crash', async () => {
    await using busy = await startPlaygroundBroker({ port: 0, wsPort: 0 })
    const result = await runCli(['broker', '--port', '0', '--ws-port', String(busy.wsPort)], { timeoutMs: 20_000 })
    expect(result.exitCode, result.stderr).toBe(2)
    expect(result.stderr).toContain(`error: port ${busy.wsPort} is already in use`)
    expect(result.stderr).toContain(`--ws-port ${busy.wsPort + 1}`)
    expect(result.stderr).not.toContain('Unhandled')
  })
})
