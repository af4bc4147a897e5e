import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { courseRoot } from './run-cli.ts'

/**
 * A fresh folder to build the site into, inside the course (.cache/, ignored by git). Not the system's temp
 * folder: Astro renders the pages from an intermediate build that it keeps next to the output when the output
 * is inside the project, and in <project>/.astro/ otherwise, a folder that builds running at the same time
 * (test files in parallel) would share; and that intermediate build must find the project's node_modules.
 */
export function makeSiteDir(name: string): string {
  const parent = path.join(courseRoot, '.cache', 'site-builds')
  mkdirSync(parent, { recursive: true })
  return mkdtempSync(path.join(parent, `${name}-`))
}

/** Removes a folder made by makeSiteDir, and the Astro cache of its build. */
export function removeSiteDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  rmSync(`${dir}.astro-cache`, { recursive: true, force: true })
}

/**
 * Builds the course site into `outDir` with the pinned Node, as `npm run build` does; `publish` sets where it is
 * published (MQTT_COURSE_SITE, MQTT_COURSE_BASE).
 */
export function buildSite(
  outDir: string,
  timeoutMs = 240_000,
  publish: { site?: string; base?: string } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    // Vitest exports Vite's import.meta.env into process.env (DEV=1, MODE=test, NODE_ENV=test ...): inherited,
    // they make `astro build` a development build, and Starlight leaves search out. Build as npm run build does.
    const vitestKeys = /^(VITEST.*|TEST|NODE_ENV|MODE|DEV|PROD|SSR|BASE_URL)$/
    const env = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([key]) => !vitestKeys.test(key) && !key.startsWith('MQTT_COURSE_SITE') && key !== 'MQTT_COURSE_BASE',
        ),
      ),
      NODE_ENV: 'production',
      // Its own cache: test files build in parallel, and Astro's cache is not safe to share between builds.
      MQTT_COURSE_ASTRO_CACHE: `${outDir.replace(/\/+$/, '')}.astro-cache`,
      ...(publish.site ? { MQTT_COURSE_SITE: publish.site } : {}),
      ...(publish.base ? { MQTT_COURSE_BASE: publish.base } : {}),
    }
    const astro = path.join(courseRoot, 'node_modules/astro/bin/astro.mjs')
    // One build at a time: every build writes the course's own .astro/ folder (content-assets.mjs through one
    // fixed .tmp name, not movable by any option), and two test files building at once lost that rename
    // (ENOENT) in a CI run. util-linux's flock waits on the kernel's lock, which the finished build releases;
    // the build's own group is killed at the deadline, waiting included.
    const lock = path.join(courseRoot, '.cache', 'site-builds', '.build.lock')
    mkdirSync(path.dirname(lock), { recursive: true })
    const child = spawn('flock', [lock, process.execPath, astro, 'build', '--outDir', outDir], {
      cwd: courseRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL')
      reject(new Error(`astro build did not finish within ${timeoutMs} ms:\n${output.slice(-3000)}`))
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0 && existsSync(path.join(outDir, 'index.html'))) resolve()
      // The bundler's warnings (boxes of │ ╭ ╯ lines) would push the error itself out of the message.
      else
        reject(
          new Error(
            `astro build failed (${code}):\n${output
              .split('\n')
              .filter((line) => !/\[WARN\]|[│╭╯─]|Help:/.test(line))
              .join('\n')
              .slice(-3000)}`,
          ),
        )
    })
  })
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.xml': 'application/xml',
  '.txt': 'text/plain',
}

export interface StaticServer extends AsyncDisposable {
  url: string
}

/**
 * Any static host, reduced to its essence: files as they are, index.html for folders, 404 otherwise. With a
 * `basePath` (/mqtt-course/), the site is served under it, as a project page is, and nothing outside it exists.
 */
export async function serveStatic(root: string, basePath = '/'): Promise<StaticServer> {
  const server = http.createServer(async (request, response) => {
    let file = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
    if (!file.startsWith(basePath))
      return void response.writeHead(404, { 'content-type': 'text/plain' }).end(`not under ${basePath}`)
    file = `/${file.slice(basePath.length)}`
    if (file.endsWith('/')) file += 'index.html'
    const full = path.join(root, path.normalize(file))
    if (!full.startsWith(root)) return void response.writeHead(403).end()
    try {
      const body = await readFile(full)
      response.writeHead(200, { 'content-type': types[path.extname(full)] ?? 'application/octet-stream' }).end(body)
    } catch {
      response
        .writeHead(404, { 'content-type': 'text/html' })
        .end(await readFile(path.join(root, '404.html')).catch(() => 'not found'))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Every page of a built site, as URL paths: /lessons/03-qos/ ... */
export async function listPages(root: string, dir = ''): Promise<string[]> {
  const pages: string[] = []
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name)
    if (entry.isDirectory() && !['_astro', 'pagefind'].includes(entry.name))
      pages.push(...(await listPages(root, relative)))
    else if (entry.name === 'index.html') pages.push(`/${dir ? `${dir}/` : ''}`)
  }
  return pages.sort()
}
