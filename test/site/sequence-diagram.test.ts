import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type SequenceDiagramData,
  charWidth,
  describeStep,
  layoutSequence,
  wrap,
} from '../../site/components/sequence-layout.ts'
import { courseRoot } from '../support/run-cli.ts'

/** Every <SequenceDiagram .../> of the lessons, with its props evaluated (the lessons' own literals). */
function lessonDiagrams(): { lesson: string; diagram: SequenceDiagramData }[] {
  const dir = path.join(courseRoot, 'lessons')
  return readdirSync(dir)
    .filter((file) => file.endsWith('.mdx'))
    .flatMap((lesson) =>
      [
        ...readFileSync(path.join(dir, lesson), 'utf8').matchAll(
          /<SequenceDiagram\s+title="([^"]+)"\s+parties=\{([\s\S]*?)\}\s+steps=\{([\s\S]*?)\}\s*\/>/g,
        ),
      ].map((match) => ({
        lesson,
        diagram: {
          title: match[1]!,
          parties: new Function(`return ${match[2]}`)(),
          steps: new Function(`return ${match[3]}`)(),
        },
      })),
    )
}

describe('sequence diagrams', () => {
  const diagrams = lessonDiagrams()

  it('replace the ASCII diagrams of lessons 1, 3, 4 and 9', () => {
    expect(new Set(diagrams.map((found) => found.lesson.slice(0, 2)))).toEqual(new Set(['01', '03', '04', '09']))
    expect(diagrams.length).toBeGreaterThanOrEqual(6)
  })

  for (const { lesson, diagram } of diagrams) {
    it(`${lesson}: "${diagram.title}" keeps every label inside the drawing and between its arrows' ends`, () => {
      const layout = layoutSequence(diagram)
      const extent = (text: { x: number; text: string; anchor: string }) => {
        const width = text.text.length * charWidth
        const left = text.anchor === 'start' ? text.x : text.anchor === 'middle' ? text.x - width / 2 : text.x - width
        return [left, left + width] as const
      }
      for (const arrow of layout.arrows) {
        for (const label of arrow.labels) {
          const [left, right] = extent(label)
          expect(left, `"${label.text}"`).toBeGreaterThanOrEqual(Math.min(arrow.x1, arrow.x2))
          expect(right, `"${label.text}"`).toBeLessThanOrEqual(Math.max(arrow.x1, arrow.x2))
        }
      }
      for (const note of layout.notes) {
        for (const line of note.lines) {
          const [left, right] = extent(line)
          expect(left, `"${line.text}"`).toBeGreaterThanOrEqual(0)
          expect(right, `"${line.text}"`).toBeLessThanOrEqual(layout.width)
        }
      }
      // At most about 700 units wide: on a 390 px phone the text stays about 7 px or larger.
      expect(layout.width).toBeLessThanOrEqual(720)
      // The text alternative says every step.
      expect(diagram.steps.map(describeStep).every((sentence) => sentence.length > 3)).toBe(true)
    })
  }

  it('refuses a step from a party the diagram does not have, and says which parties it has', () => {
    expect(() =>
      layoutSequence({ title: 't', parties: ['a', 'b'], steps: [{ from: 'a', to: 'c', label: 'x' }] }),
    ).toThrow('"c" is not one of its parties (a, b)')
  })

  it('wraps words into lines, cutting a word longer than a line', () => {
    expect(wrap('PUBLISH home/kitchen/temp 21.5', 12)).toEqual(['PUBLISH', 'home/kitchen', '/temp 21.5'])
    expect(wrap('a b c', 3)).toEqual(['a b', 'c'])
  })
})
