import { defineExerciseSuite } from '../support/exercise-suite.ts'

// Every exercise on the mosquitto broker: solution passes, starter fails, each mutant fails exactly its check.
await defineExerciseSuite('mosquitto')
