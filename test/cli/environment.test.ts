import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { runCli } from '../support/run-cli.ts'

/**
 * "No Docker" for real: a private mount namespace where the Docker socket is /dev/null, so Testcontainers
 * finds no engine, exactly as on a laptop without Docker. Needs root (CI runs as root); elsewhere skipped.
 */
const withoutDocker = canHideDocker()
  ? ['unshare', '--mount', '--', 'sh', '-c', 'mount --bind /dev/null /var/run/docker.sock && exec "$@"', 'sh']
  : undefined
const isRequired = process.env.CI === 'true'
const needsMore = (await loadAllExercises()).find(
  (exercise) => [...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)].length > 0,
)

describe.skipIf(!withoutDocker && !isRequired)(
  `without Docker${withoutDocker ? '' : ' (skipped: needs root and unshare to hide the Docker socket)'}`,
  () => {
    it('--broker container says Docker is not running and names the other brokers (exit 2)', async () => {
      const startedAt = performance.now()
      const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'container'], {
        wrap: withoutDocker!,
        env: { DOCKER_HOST: '' },
      })
      expect(result.exitCode).toBe(2)
      expect(result.stdout).toContain(
        'could not grade: --broker container needs Docker, and no Docker engine is answering',
      )
      expect(result.stdout).toContain(
        'what to do: start Docker (Docker Desktop, colima or dockerd), or use --broker auto: it picks a broker that can run the exercise',
      )
      expect(performance.now() - startedAt).toBeLessThan(30_000)
    })

    it('auto falls back to the embedded broker for an exercise that needs nothing more', async () => {
      const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'auto'], {
        wrap: withoutDocker!,
        env: { DOCKER_HOST: '', MQTT_COURSE_MOSQUITTO_BIN: '/nonexistent/mosquitto' },
      })
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain('on embedded (aedes')
    })

    it.skipIf(!needsMore)(
      `auto with neither Mosquitto nor Docker says which to install or start (exit 2)${needsMore ? '' : ' (skipped: no exercise needs more than aedes yet)'}`,
      async () => {
        const result = await runCli(['grade', needsMore!.id, '--solution', '--broker', 'auto'], {
          wrap: withoutDocker!,
          env: { DOCKER_HOST: '', MQTT_COURSE_MOSQUITTO_BIN: '/nonexistent/mosquitto' },
        })
        expect(result.exitCode).toBe(2)
        expect(result.stdout).toMatch(
          new RegExp(
            `could not grade: ${needsMore!.id} needs a broker with .+, and none is available here \\(mosquitto: the mosquitto binary is not installed; container: no Docker engine is answering\\)`,
          ),
        )
        expect(result.stdout).toContain('what to do: install Mosquitto')
        expect(result.stdout).toContain('or start Docker')
      },
    )
  },
)

function canHideDocker(): boolean {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('unshare', ['--mount', '--', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
