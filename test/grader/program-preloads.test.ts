import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  preloadFolder,
  preloadPath,
  preloadSources,
  preloadUrl,
  strippedCopy,
} from '../../grader/course/program-preloads.ts'
import { typeScriptCommand } from '../../grader/runner/program-command.ts'

const courseRoot = fileURLToPath(new URL('../../', import.meta.url))

describe('the preloads a program runs are JavaScript the grader stripped', () => {
  it('makes a copy of each preload in the course cache, and programs are told to load those', () => {
    const folder = preloadFolder()
    expect(folder).toBeDefined()
    for (const name of Object.keys(preloadSources) as (keyof typeof preloadSources)[]) {
      expect(preloadPath(name).startsWith(`${folder}${path.sep}`)).toBe(true)
      expect(preloadPath(name).endsWith('.js')).toBe(true)
      expect(existsSync(preloadPath(name))).toBe(true)
    }
    expect(typeScriptCommand('/tmp/x/main.ts', '/tmp/x').args).toContain(preloadUrl('resolveHook'))
  })

  it("loads all of them, and MQTT.js through the hook, with Node's type stripper switched off", () => {
    // A preload that still imported TypeScript would fail here: the stripper (~50-100 ms a start) is never needed.
    const result = spawnSync(
      process.execPath,
      [
        '--no-experimental-strip-types',
        '--import',
        preloadUrl('sandboxInit'),
        '--import',
        preloadUrl('resolveHook'),
        '--import',
        preloadUrl('standbyBootstrap'),
        '--input-type=module',
        '-e',
        "const mqtt = await import('mqtt'); console.log(typeof mqtt.default.connect)",
      ],
      { cwd: '/', encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
    )
    expect(result.stderr).toBe('')
    expect(result.stdout.trim()).toBe('function')
  })

  it("keeps each original's own URL (the hook finds the course from it)", () => {
    const hook = readFileSync(preloadPath('resolveHook'), 'utf8')
    expect(hook).not.toContain('import.meta.url')
    expect(hook).toContain(JSON.stringify(preloadSources.resolveHook))
    expect(preloadSources.resolveHook.startsWith(new URL('grader/runner/', `file://${courseRoot}`).href)).toBe(true)
  })

  it('refuses a relative import of a file that is not a preload, naming the fix', () => {
    expect(() => strippedCopy('sandboxInit', "import { x } from './seccomp-filter.ts'\nconsole.log(x)\n")).toThrow(
      /seccomp-filter\.ts, which is not one of the preloads: add it to program-preloads\.ts/,
    )
    expect(
      strippedCopy(
        'standbyBootstrap',
        "import { useStrippedManifest } from './course-resolve-hook.ts'\nconst a: number = 1\n",
      ),
    ).toBe("import { useStrippedManifest } from './course-resolve-hook.js'\nconst a         = 1\n")
  })
})
