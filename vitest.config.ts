import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Grading spawns programs and brokers: separate processes per file, and no more of them than this
    // machine has cores, so that a check's deadline measures the student's program and not the load.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Failures print their own grader report; keep vitest's diff short.
    printConsoleTrace: false,
  },
})
