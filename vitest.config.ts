import { defineConfig } from 'vitest/config'

/** Settings every project shares. */
const shared = {
  // Grading spawns programs and brokers: separate processes per file, and no more of them than this
  // machine has cores, so that a check's deadline measures the student's program and not the load.
  pool: 'forks',
  maxWorkers: 2,
  testTimeout: 120_000,
  hookTimeout: 60_000,
  // Failures print their own grader report; keep vitest's diff short.
  printConsoleTrace: false,
} as const

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'course',
          include: ['test/**/*.test.ts'],
          exclude: ['test/isolation/**', 'test/platforms/**', '**/node_modules/**'],
        },
      },
      // The instructors' platforms, each run as the platform runs it (Debian roots in Docker, installs from the
      // package registries): minutes per file, so one file at a time, after the course's own tests.
      {
        test: {
          ...shared,
          name: 'platforms',
          include: ['test/platforms/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      // The hostile suite attacks everything it can reach on the machine: it runs after the rest, alone, one file
      // at a time, so that no other test's broker is on the machine for its attacker to find.
      {
        test: {
          ...shared,
          name: 'isolation',
          include: ['test/isolation/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
