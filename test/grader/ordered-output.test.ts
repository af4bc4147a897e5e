import { expect, it } from 'vitest'
import { OrderedOutput } from '../../grader/report/ordered-output.ts'

it('prints blocks in course order, each whole, whatever order they are written and finished in', () => {
  let printed = ''
  const output = new OrderedOutput(['ex1', 'ex2', 'ex3'], (text) => (printed += text))
  const [ex1, ex2, ex3] = ['ex1', 'ex2', 'ex3'].map((id) => output.writerFor(id))
  ex3('3a ')
  ex1('1a ')
  ex2('2a ')
  expect(printed).toBe('1a ') // the first exercise streams live
  ex3('3b ')
  output.finish('ex3')
  expect(printed).toBe('1a ')
  ex1('1b ')
  output.finish('ex1')
  expect(printed).toBe('1a 1b 2a ') // ex2 is now the head: what it held comes out, and it streams from here
  ex2('2b ')
  expect(printed).toBe('1a 1b 2a 2b ')
  output.finish('ex2')
  expect(printed).toBe('1a 1b 2a 2b 3a 3b ')
})
